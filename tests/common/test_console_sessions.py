from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import ConsumerFactory, PlatformUserFactory
from tests.login import logs_in, logs_in_to_console

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"
CONSOLE = reverse("admin:index")


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_console_session_ends_after_thirty_idle_minutes(client, time_machine):
    reviewer = PlatformUserFactory()
    assert logs_in_to_console(client, reviewer, PASSWORD)
    assert client.get(CONSOLE).status_code == 200

    time_machine.move_to(timezone.now() + timedelta(minutes=31))

    assert client.get(CONSOLE).status_code == 302  # to the login page


def test_working_keeps_a_console_session_alive_but_not_past_eight_hours(client, time_machine):
    reviewer = PlatformUserFactory()
    assert logs_in_to_console(client, reviewer, PASSWORD)
    for _ in range(19):  # every 25 minutes, 7 h 55 min in all: never idle for 30
        time_machine.move_to(timezone.now() + timedelta(minutes=25))
        assert client.get(CONSOLE).status_code == 200
    time_machine.move_to(timezone.now() + timedelta(minutes=25))  # 8 h 20 min

    ended = client.get(CONSOLE)

    assert ended.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_consumer_stays_logged_in_for_two_weeks(client):
    consumer = ConsumerFactory()
    assert logs_in(client, consumer.username, PASSWORD)
    client.get(reverse("disputes:consumer_complaints"))
    lasts = session_row(client).expire_date - timezone.now()
    assert lasts > timedelta(days=13)
