import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from common import requestid
from outbox import services, sms
from outbox.models import OutboundMessage

from . import backends

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def flaky_backends(settings):
    settings.EMAIL_BACKEND = "tests.outbox.backends.FlakyEmailBackend"
    settings.SMS_BACKEND = "tests.outbox.backends.FlakySmsBackend"
    settings.OUTBOX_RETRY_SECONDS = 30
    backends.failures_left.update(email=0, sms=0)
    yield backends.failures_left


def pending():
    return OutboundMessage.objects.filter(sent_at__isnull=True, gave_up_at__isnull=True)


def test_a_queued_message_is_a_row_until_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.queue_email(["a@example.com", "b@example.com"], "Subject", "Body")
    assert pending().count() == 2
    assert mail.outbox == []
    assert len(callbacks) == 1  # one delivery task for the whole transaction

    callbacks[0]()

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    assert not pending().exists()
    assert OutboundMessage.objects.filter(sent_at__isnull=False).count() == 2


def test_a_transaction_of_many_savepoints_starts_one_delivery(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for n in range(5):
            with transaction.atomic():
                services.queue_email([f"user{n}@example.com"], "Subject", "Body")
        with pytest.raises(RuntimeError), transaction.atomic():
            services.queue_email(["undone@example.com"], "Subject", "Body")
            raise RuntimeError("this savepoint rolls back")

    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [f"user{n}@example.com" for n in range(5)]


def test_a_delivery_registered_in_a_savepoint_rolled_back_is_registered_again(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.queue_email(["undone@example.com"], "Subject", "Body")
            raise RuntimeError("this savepoint rolls back")
        services.queue_email(["kept@example.com"], "Subject", "Body")

    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["kept@example.com"]]


def test_a_change_rolled_back_leaves_no_message_behind():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_email(["a@example.com"], "Subject", "Body")
        raise RuntimeError("the change failed")
    assert not OutboundMessage.objects.exists()
    assert services.deliver_due().sent == 0
    assert mail.outbox == []


def test_a_message_whose_task_never_ran_is_sent_by_the_deadline_loop():
    # The process died between the commit and the task: the row is all that is left.
    services.queue_email(["a@example.com"], "Subject", "Body")
    assert mail.outbox == []
    out = io.StringIO()

    call_command("process_deadlines", stdout=out)

    assert "messages sent: 1" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_delivering_twice_sends_each_message_once():
    services.queue_email(["a@example.com"], "Subject", "Body")
    assert services.deliver_due().sent == 1
    assert services.deliver_due().sent == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_waits_and_is_tried_again_with_a_growing_delay(flaky_backends):
    flaky_backends["email"] = 2
    services.queue_email(["a@example.com"], "Subject", "Body")
    start = timezone.now()

    assert services.deliver_due(start).sent == 0
    message = OutboundMessage.objects.get()
    assert message.attempts == 1
    assert "mail server down" in message.last_error
    assert message.send_after == start + timedelta(seconds=30)
    assert services.deliver_due(start + timedelta(seconds=29)).sent == 0  # not due yet
    assert OutboundMessage.objects.get().attempts == 1

    assert services.deliver_due(start + timedelta(seconds=30)) == (
        0,
        start + timedelta(seconds=90),
    )
    message.refresh_from_db()
    assert (message.attempts, message.send_after) == (2, start + timedelta(seconds=90))

    assert services.deliver_due(start + timedelta(seconds=90)) == (1, None)
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert len(mail.outbox) == 1


def test_a_message_that_keeps_failing_is_given_up_and_logged(flaky_backends, caplog):
    flaky_backends["sms"] = services.MAX_ATTEMPTS
    services.queue_sms("13800138000", "Hello")
    moment = timezone.now()
    for _attempt in range(services.MAX_ATTEMPTS):
        services.deliver_due(moment)
        moment += timedelta(hours=2)

    message = OutboundMessage.objects.get()
    assert message.gave_up_at is not None and message.sent_at is None
    assert message.attempts == services.MAX_ATTEMPTS
    assert "given up" in caplog.text
    assert services.deliver_due(moment).sent == 0
    assert sms.outbox == []


def test_one_failing_message_does_not_hold_back_the_others(flaky_backends):
    flaky_backends["email"] = 1
    services.queue_email(["first@example.com", "second@example.com"], "Subject", "Body")
    assert services.deliver_due().sent == 1
    assert [m.to for m in mail.outbox] == [["second@example.com"]]


def test_a_one_time_link_is_erased_from_the_outbox_once_sent():
    services.queue_sms(
        "13800138000", "Set your password: https://x/set-password/abc/", sensitive=True
    )
    services.queue_email(["a@example.com"], "Hello", "Not secret")
    services.deliver_due()

    assert sms.outbox == [("13800138000", "Set your password: https://x/set-password/abc/")]
    bodies = dict(OutboundMessage.objects.values_list("channel", "body"))
    assert bodies == {"sms": "", "email": "Not secret"}


def test_a_message_remembers_the_request_that_queued_it():
    token = requestid.current_request_id.set("req-12345678")
    try:
        services.queue_email(["a@example.com"], "Subject", "Body")
    finally:
        requestid.current_request_id.reset(token)
    assert OutboundMessage.objects.get().request_id == "req-12345678"


@pytest.mark.postgres
def test_two_workers_delivering_at_once_send_each_message_exactly_once(monkeypatch):
    monkeypatch.setattr(services, "_start_delivery", lambda: None)  # the workers deliver
    services.queue_messages(
        [
            ("email", f"user{n}@example.com", "Subject", "Body")
            for n in range(3 * services.BATCH_SIZE)
        ]
    )
    barrier = Barrier(2)

    def worker():
        barrier.wait()
        try:
            return services.deliver_due().sent
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        sent = [f.result() for f in [pool.submit(worker), pool.submit(worker)]]

    assert sum(sent) == 3 * services.BATCH_SIZE
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 3 * services.BATCH_SIZE
