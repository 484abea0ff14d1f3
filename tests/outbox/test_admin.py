import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from outbox import services
from outbox.models import OutboundMessage
from tests.factories import PlatformUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:outbox_outboundmessage_changelist")


def given_up_message():
    return OutboundMessage.objects.create(
        channel="email",
        recipient="a@example.com",
        subject="Subject",
        body="Body",
        attempts=services.MAX_ATTEMPTS,
        last_error="ConnectionRefusedError: mail server down",
        gave_up_at=timezone.now(),
    )


def test_a_superuser_sees_what_was_given_up(admin_client):
    message = given_up_message()
    services.queue_email(["b@example.com"], "Other", "Body")
    services.deliver_due()

    page = admin_client.get(CHANGELIST, {"delivery": "given_up"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [message]


def test_a_superuser_can_send_a_given_up_message_again(
    admin_client, django_capture_on_commit_callbacks
):
    message = given_up_message()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "try_again_now", "index": 0, "_selected_action": [message.pk]}
        )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.sent_at is not None and message.gave_up_at is None
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_nobody_edits_or_deletes_a_message(admin_client):
    message = given_up_message()
    change = reverse("admin:outbox_outboundmessage_change", args=[message.pk])
    admin_client.post(change, {"recipient": "attacker@example.com", "body": "x"})
    delete = reverse("admin:outbox_outboundmessage_delete", args=[message.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.recipient == "a@example.com"


def test_reviewers_do_not_see_other_peoples_mail(client):
    client.force_login(PlatformUserFactory())
    assert client.get(CHANGELIST).status_code == 403
