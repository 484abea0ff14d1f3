"""A storm of pay-first deadlines on one store: the deadline run charges the deposit of
every complaint whose merchant did not pay in time in one batch (`charge_deposits`), each
exactly as `charge_deposit` charges it alone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from deposits import services as ledger
from deposits.models import Disbursement, LedgerEntry
from deposits.policy import policy_in_force
from disputes import deadlines, services
from disputes.deadlines import process_due_complaints
from disputes.models import AwardLine, Complaint, Notification
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.races import race
from tests.disputes.test_locks import _batch_conflict
from tests.disputes.test_review import decide, png, reviewer_user, under_review
from tests.factories import ConsumerFactory, OrderFactory, SeniorReviewerFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


def awaiting_payment(store, count: int) -> list[Complaint]:
    """`count` complaints of different consumers, each decided for ¥209 to be paid first
    by the merchant, whose 72 hours have not ended yet."""
    reviewer = reviewer_user()
    paid = timezone.now() - timedelta(days=8)
    complaints = []
    for _ in range(count):
        consumer = ConsumerFactory()
        order = OrderFactory(
            merchant=store.merchant,
            consumer=consumer,
            goods_amount=Decimal("199.00"),
            postage=Decimal("10.00"),
            paid_at=paid,
            shipped_at=paid + timedelta(hours=20),
            delivered_at=paid + timedelta(days=3),
            completed_at=paid + timedelta(days=5),
        )
        complaint = services.file_complaint(
            order=order,
            consumer=consumer,
            kind="description_mismatch",
            description="颜色与描述不符。",
            claimed_amount=Decimal("199.00"),
        )
        under_review(complaint, store, consumer, reviewer)
        decide(complaint, reviewer, route="merchant_first")
        complaint.refresh_from_db()
        complaints.append(complaint)
    return complaints


def lapsed(complaints) -> timezone.datetime:
    return max(c.due_at for c in complaints)


def test_every_lapsed_pay_first_complaint_of_a_store_is_charged_once(store):
    complaints = awaiting_payment(store, 4)
    now = lapsed(complaints)
    assert process_due_complaints(now) == 4

    for complaint in complaints:
        complaint.refresh_from_db()
        assert complaint.status == S.PAID
        assert complaint.held_amount == 0
        payout = Disbursement.objects.get(payee=complaint.consumer)
        assert payout.amount == Decimal("209.00")
        assert all(
            line.paid_amount == line.amount
            for line in AwardLine.objects.filter(decision__complaint=complaint)
        )
        assert (
            StateLog.objects.filter(object_id=complaint.pk, transition="charge_deposit").count()
            == 1
        )
        assert Notification.objects.filter(
            user=complaint.consumer, complaint=complaint, event="decided_paid"
        ).exists()
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 4
    assert_ledger_balanced()

    before = (LedgerEntry.objects.count(), Notification.objects.count())
    assert process_due_complaints(now + timedelta(seconds=1)) == 0
    assert (LedgerEntry.objects.count(), Notification.objects.count()) == before


def test_the_batch_charges_what_charging_each_alone_charges(store, other_store):
    alone, batched = awaiting_payment(other_store, 3), awaiting_payment(store, 3)
    now = lapsed(alone + batched)
    for complaint in alone:
        services.charge_deposit(complaint=complaint, now=now)
    process_due_complaints(now)

    def outcome(complaints):
        rows = []
        for complaint in complaints:
            complaint.refresh_from_db()
            entries = LedgerEntry.objects.filter(reference=complaint.ledger_reference)
            rows.append(
                (
                    complaint.status,
                    complaint.paid_at,
                    complaint.due_at,
                    complaint.held_amount,
                    sorted((e.kind, e.balance_delta, e.held_delta) for e in entries),
                    sorted(
                        Notification.objects.filter(
                            complaint=complaint, user=complaint.consumer
                        ).values_list("event", flat=True)
                    ),
                    Disbursement.objects.get(payee=complaint.consumer).status,
                )
            )
        return rows

    for got, expected in zip(outcome(batched), outcome(alone), strict=True):
        assert got == expected
    assert_ledger_balanced()


def test_a_storm_of_charges_takes_the_same_statements_however_many(store, other_store):
    # What a run reads once and keeps (the deadline and deposit policies), read first.
    process_due_complaints(timezone.now())
    policy_in_force()

    def statements(storm):
        with CaptureQueriesContext(connection) as queries:
            assert process_due_complaints(lapsed(storm)) == len(storm)
        return len(queries)

    assert statements(awaiting_payment(store, 2)) == statements(awaiting_payment(other_store, 6))


def test_a_complaint_whose_merchant_paid_in_time_is_left_out_of_the_batch(store):
    paid_first, charged = awaiting_payment(store, 2)
    services.confirm_merchant_payment(complaint=paid_first, actor=store.owner, proof_files=[png()])
    assert process_due_complaints(lapsed([paid_first, charged])) == 1
    assert Disbursement.objects.get().payee == charged.consumer
    assert_ledger_balanced()


def test_a_batch_that_fails_leaves_each_complaint_to_be_charged_alone(store, monkeypatch):
    complaints = awaiting_payment(store, 3)
    monkeypatch.setattr(deadlines.services, "charge_deposits", _batch_conflict)
    assert process_due_complaints(lapsed(complaints)) == 3
    assert set(Complaint.objects.values_list("status", flat=True)) == {S.PAID}
    assert Disbursement.objects.count() == 3
    assert_ledger_balanced()


def test_a_thin_deposit_pays_the_storm_from_the_holds_and_the_platform_advances_the_rest(
    store,
):
    complaints = awaiting_payment(store, 3)
    account = store.merchant.deposit_account
    account.refresh_from_db()
    ledger.adjust(
        account=account,
        balance_delta=account.held - account.balance,
        arrears_delta=Decimal("0"),
        memo="Nothing free is left beside the holds",
        actor=SeniorReviewerFactory(),
        idempotency_key="nothing-free",
    )
    process_due_complaints(lapsed(complaints))
    account.refresh_from_db()
    # Each ¥209 came ¥199 from its hold; the ¥10 postage of each the platform advanced.
    assert (account.balance, account.held, account.arrears) == (
        Decimal("0"),
        Decimal("0"),
        Decimal("30.00"),
    )
    assert LedgerEntry.objects.filter(kind="platform_advance").count() == 3
    assert_ledger_balanced()


@pytest.mark.postgres
def test_two_deadline_workers_in_a_storm_on_two_stores_charge_each_complaint_once(
    store, other_store
):
    storm = awaiting_payment(store, 4) + awaiting_payment(other_store, 4)
    now = lapsed(storm)
    race(lambda: process_due_complaints(now), lambda: process_due_complaints(now))
    assert set(Complaint.objects.values_list("status", flat=True)) == {S.PAID}
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 8
    assert Disbursement.objects.count() == 8
    assert_ledger_balanced()
