"""The bell's count, read on every party page: the reader's unread notices only, counted
up to what the bell shows ("99+" past it)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disputes import selectors
from disputes.context_processors import BELL_SHOWS_UP_TO
from disputes.models import Notification
from tests.compiling import compiled_reads
from tests.factories import ConsumerFactory, NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_bell_counts_the_readers_unread_notices_only():
    reader, other = ConsumerFactory(), ConsumerFactory()
    NotificationFactory.create_batch(3, user=reader)
    NotificationFactory(user=reader, read_at=timezone.now())
    NotificationFactory(user=other)
    assert selectors.unread_notification_count(reader, up_to=10) == 3


def test_the_count_goes_no_further_than_asked():
    reader = ConsumerFactory()
    NotificationFactory.create_batch(3, user=reader)
    assert selectors.unread_notification_count(reader, up_to=2) == 2


def test_nothing_unread_counts_zero():
    reader = ConsumerFactory()
    NotificationFactory(user=reader, read_at=timezone.now())
    assert selectors.unread_notification_count(reader, up_to=10) == 0
    assert selectors.unread_notification_count(ConsumerFactory(), up_to=10) == 0


def test_the_count_is_compiled_once_per_process():
    selectors.unread_notification_count(ConsumerFactory(), up_to=10)
    with compiled_reads() as compiled:
        selectors.unread_notification_count(ConsumerFactory(), up_to=10)
    assert [sql for sql in compiled if "disputes_notification" in sql] == []


def _unread(reader, count: int) -> None:
    notice = NotificationFactory(user=reader)
    Notification.objects.bulk_create(
        Notification(user=reader, complaint=notice.complaint, event="message", url="/")
        for _ in range(count - 1)
    )


@pytest.mark.parametrize(
    "language, badge, label",
    [
        ("en", "99+", "Notifications: more than 99 unread"),
        ("zh-hans", "99+", "通知：超过 99 条未读"),
    ],
)
def test_past_what_the_bell_shows_it_says_so_without_counting_further(
    client, settings, language, badge, label
):
    settings.PAGE_CACHE = False
    reader = ConsumerFactory()
    _unread(reader, BELL_SHOWS_UP_TO + 5)
    client.force_login(reader)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("disputes:consumer_orders"), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert f'<span class="count">{badge}</span>' in html
    assert f'aria-label="{label}"' in html
    [count] = [q["sql"] for q in queries.captured_queries if '"disputes_notification"' in q["sql"]]
    assert "LIMIT" in count.upper()


def test_up_to_what_the_bell_shows_it_shows_the_count(client, settings):
    settings.PAGE_CACHE = False
    reader = ConsumerFactory()
    _unread(reader, BELL_SHOWS_UP_TO)
    client.force_login(reader)
    html = client.get(reverse("disputes:consumer_orders"), HTTP_ACCEPT_LANGUAGE="en").content
    assert b'<span class="count">99</span>' in html
    assert b'aria-label="Notifications: 99 unread"' in html
