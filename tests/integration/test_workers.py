"""A real worker and beat on Redis: each task runs through the broker, and runs once."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from common import requestid
from deposits.audit import audit_deposits
from deposits.models import LedgerEntry
from disputes.models import Complaint
from outbox import services as outbox
from outbox.models import OutboundMessage

from . import mailbox
from .processes import eventually

pytestmark = pytest.mark.postgres

QUIET_SECONDS = 5  # two more beat ticks and a retry's delay: long enough to see a double


def test_a_notification_is_sent_by_the_worker_exactly_once(worker_and_beat, file, store):
    token = requestid.current_request_id.set("integration-request-0001")
    try:
        complaint = file()  # commits, and publishes the delivery task to the broker
    finally:
        requestid.current_request_id.reset(token)

    owner_mail = eventually(lambda: mailbox.delivered(store.owner.email))
    staff_mail = eventually(lambda: mailbox.delivered(store.staff.email))

    assert len(owner_mail) == len(staff_mail) == 1
    assert complaint.number in owner_mail[0]
    time.sleep(QUIET_SECONDS)
    assert len(mailbox.delivered(store.owner.email)) == 1
    assert not OutboundMessage.objects.filter(sent_at__isnull=True).exists()
    worker = worker_and_beat[0].output()
    assert "outbox.tasks.deliver_outbox" in worker and "succeeded" in worker
    sent_lines = [json.loads(line) for line in worker.splitlines() if "sent by email" in line]
    assert {line["request_id"] for line in sent_lines} == {"integration-request-0001"}


def test_beat_moves_a_due_deadline_once_with_its_hold_and_mail(worker_and_beat, file, store):
    complaint = file()
    eventually(lambda: mailbox.delivered(store.owner.email))
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    def escalated():
        return Complaint.objects.filter(
            pk=complaint.pk, status=Complaint.Status.UNDER_REVIEW
        ).exists()

    assert eventually(escalated), worker_and_beat[0].output()[-4000:]
    assert eventually(lambda: len(mailbox.delivered(store.owner.email)) == 2)
    time.sleep(QUIET_SECONDS)

    assert StateLog.objects.filter(object_id=complaint.pk, state="under_review").count() == 1
    holds = LedgerEntry.objects.filter(
        reference=complaint.ledger_reference, kind=LedgerEntry.Kind.HOLD
    )
    assert holds.count() == 1
    assert len(mailbox.delivered(store.owner.email)) == 2
    assert audit_deposits()[0] == []
    assert "disputes.tasks.sweep_deadlines" in worker_and_beat[0].output()


def test_a_failed_send_is_retried_by_the_task_and_arrives_once(worker_and_beat):
    outbox.queue_email(["flaky@example.com"], "Subject", "Your payout was sent.")

    assert eventually(lambda: mailbox.delivered("flaky@example.com"), timeout=30)
    time.sleep(QUIET_SECONDS)

    assert mailbox.delivered("flaky@example.com") == ["Your payout was sent."]
    message = OutboundMessage.objects.get(recipient="flaky@example.com")
    assert message.attempts == 1 and message.sent_at is not None
    assert "ConnectionRefusedError" in message.last_error
    assert "Retry in" in worker_and_beat[0].output()
