import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deposits import services as ledger
from deposits.models import DepositAccount, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint, Notification, Offer
from tests.disputes.conftest import assert_ledger_balanced

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def _reload(complaint):
    complaint.refresh_from_db()
    return complaint


def test_a_silent_merchant_is_escalated_when_the_48_hours_end(complaint):
    process_due_complaints(complaint.due_at - SECOND)
    assert _reload(complaint).status == Complaint.Status.NEGOTIATING
    process_due_complaints(complaint.due_at)
    escalated = _reload(complaint)
    assert escalated.status == Complaint.Status.UNDER_REVIEW
    assert escalated.escalated_by_system
    assert escalated.held_amount == Decimal("199.00")
    assert_ledger_balanced()


def test_running_the_deadlines_again_changes_nothing(complaint):
    process_due_complaints(complaint.due_at + SECOND)
    entries, notifications = LedgerEntry.objects.count(), Notification.objects.count()
    assert process_due_complaints(complaint.due_at + 2 * SECOND) == 0
    assert (LedgerEntry.objects.count(), Notification.objects.count()) == (entries, notifications)


def test_an_unanswered_offer_expires_after_72_hours(complaint, store):
    offer = services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("50.00"),
        compensation_amount=Decimal("0"),
    )
    process_due_complaints(offer.expires_at - SECOND)
    assert Offer.objects.get().status == Offer.Status.OPEN
    process_due_complaints(offer.expires_at)
    assert Offer.objects.get().status == Offer.Status.EXPIRED
    expired = _reload(complaint)
    assert expired.status == Complaint.Status.NEGOTIATING
    assert expired.due_at == expired.lapses_at


def test_after_an_expired_offer_the_consumer_may_still_escalate(complaint, store, consumer):
    offer = services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("50.00"),
        compensation_amount=Decimal("0"),
    )
    process_due_complaints(offer.expires_at)
    assert (
        services.escalate_complaint(complaint=complaint, actor=consumer).status
        == Complaint.Status.UNDER_REVIEW
    )


def test_a_refused_complaint_lapses_7_days_after_the_answer(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    lapses_at = _reload(complaint).lapses_at
    process_due_complaints(lapses_at - SECOND)
    assert _reload(complaint).status == Complaint.Status.NEGOTIATING
    process_due_complaints(lapses_at)
    closed = _reload(complaint)
    assert (closed.status, closed.closure_reason) == (
        Complaint.Status.CLOSED,
        Complaint.ClosureReason.LAPSED,
    )


def test_an_offer_expiring_after_the_lapse_date_closes_the_complaint_in_one_run(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    complaint = _reload(complaint)
    far = complaint.lapses_at + timedelta(days=10)
    process_due_complaints(far)
    assert _reload(complaint).status == Complaint.Status.CLOSED


def test_the_merchant_is_reminded_once_24_hours_before_the_deadline(complaint, store):
    mail.outbox.clear()
    reminder_at = complaint.due_at - timedelta(hours=24)
    process_due_complaints(reminder_at - SECOND)
    assert not Notification.objects.filter(event="reminder").exists()
    process_due_complaints(reminder_at)
    process_due_complaints(reminder_at + timedelta(hours=1))
    reminders = Notification.objects.filter(event="reminder")
    assert set(reminders.values_list("user", flat=True)) == {store.owner.pk, store.staff.pk}
    assert reminders.count() == 2


def test_the_consumer_is_reminded_of_an_expiring_offer(complaint, store, consumer):
    offer = services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("50.00"),
        compensation_amount=Decimal("0"),
    )
    process_due_complaints(offer.expires_at - timedelta(hours=23))
    assert list(Notification.objects.filter(event="reminder").values_list("user", flat=True)) == [
        consumer.pk
    ]


def test_a_new_deadline_gets_its_own_reminder(complaint, store, consumer):
    process_due_complaints(complaint.due_at - timedelta(hours=1))
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    complaint = _reload(complaint)
    process_due_complaints(complaint.lapses_at - timedelta(hours=2))
    assert Notification.objects.filter(event="reminder", user=consumer).count() == 1


def test_process_deadlines_moves_stale_complaints_by_itself(complaint):
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() - SECOND)
    out = io.StringIO()
    call_command("process_deadlines", stdout=out)
    assert "process_due_complaints: 1" in out.getvalue()
    assert _reload(complaint).status == Complaint.Status.UNDER_REVIEW


def test_a_complaint_that_cannot_move_is_left_for_a_person_and_the_rest_go_on(
    file, order, store, consumer
):
    stuck = file()
    other = services.file_complaint(
        order=order,
        consumer=consumer,
        kind="after_sales",
        description="x",
        claimed_amount=Decimal("5.00"),
    )
    # An offer whose row says open but whose expiry lies ahead cannot be expired: the
    # processor must skip that complaint instead of looping on it.
    services.make_offer(
        complaint=stuck, actor=store.owner, refund=Decimal("1.00"), compensation_amount=Decimal("0")
    )
    Complaint.objects.filter(pk=stuck.pk).update(due_at=timezone.now() - SECOND)
    Complaint.objects.filter(pk=other.pk).update(due_at=timezone.now() - SECOND)
    process_due_complaints(timezone.now())
    assert _reload(other).status == Complaint.Status.UNDER_REVIEW
    assert _reload(stuck).status == Complaint.Status.NEGOTIATING


def test_a_deposit_short_of_the_likely_awards_holds_what_it_has_and_each_row_says_so(
    complaint, file, second_order, store
):
    another = file(order=second_order, claimed_amount=Decimal("150.00"))
    account = DepositAccount.objects.get(merchant=store.merchant)
    ledger.hold(
        account=account, amount=Decimal("49700.00"), reference="other", idempotency_key="other"
    )

    process_due_complaints(max(complaint.due_at, another.due_at))

    # The older complaint's ¥199 first, then the ¥101 left of the ¥300 for the other.
    held = {c.pk: _reload(c).held_amount for c in (complaint, another)}
    assert held == {complaint.pk: Decimal("199.00"), another.pk: Decimal("101.00")}
    assert {
        e.reference: e.held_delta
        for e in LedgerEntry.objects.filter(kind="hold").exclude(reference="other")
    } == {
        complaint.ledger_reference: Decimal("199.00"),
        another.ledger_reference: Decimal("101.00"),
    }
    assert DepositAccount.objects.get(pk=account.pk).available == Decimal("0.00")
    assert_ledger_balanced()


def test_the_silent_merchants_escalated_in_one_run_are_written_in_one_update(
    complaint, file, second_order
):
    another = file(order=second_order, claimed_amount=Decimal("150.00"))
    now = max(complaint.due_at, another.due_at)
    account = DepositAccount.objects.get(merchant=complaint.merchant)

    with CaptureQueriesContext(connection) as queries:
        process_due_complaints(now)

    def updates_of(table):
        return [q for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]

    assert len(updates_of("disputes_complaint")) == 1
    # The deposit's holds and the moment they changed: one statement.
    assert len(updates_of("deposits_depositaccount")) == 1
    assert DepositAccount.objects.get(pk=account.pk).updated_at > account.updated_at
    for escalated, held in ((_reload(complaint), "199.00"), (_reload(another), "150.00")):
        assert escalated.status == Complaint.Status.UNDER_REVIEW
        assert escalated.escalated_by_system
        assert escalated.escalated_at == now
        assert escalated.due_at == escalated.decision_due_at > now
        assert escalated.held_amount == Decimal(held)
    assert_ledger_balanced()
