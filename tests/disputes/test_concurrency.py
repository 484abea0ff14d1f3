"""Races between real transactions: PostgreSQL only (SQLite serialises every writer)."""

from decimal import Decimal

import pytest

from deposits.models import DepositAccount, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.races import race

pytestmark = pytest.mark.postgres


def test_two_escalations_at_once_hold_once(complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    outcomes = race(*[lambda: services.escalate_complaint(complaint=complaint, actor=consumer)] * 4)
    assert outcomes.count("done") == 1
    assert LedgerEntry.objects.filter(kind="hold").count() == 1
    assert DepositAccount.objects.get(merchant=store.merchant).held == Decimal("199.00")
    assert_ledger_balanced()


def test_the_consumer_and_the_deadline_escalating_together_hold_once(complaint, store, consumer):
    Complaint.objects.filter(pk=complaint.pk).update(due_at=complaint.created_at)
    outcomes = race(
        lambda: services.escalate_complaint(complaint=complaint, actor=consumer),
        lambda: process_due_complaints(complaint.due_at),
    )
    assert "done" in outcomes
    assert Complaint.objects.get().status == Complaint.Status.UNDER_REVIEW
    assert LedgerEntry.objects.filter(kind="hold").count() == 1
    assert_ledger_balanced()


def test_accepting_and_withdrawing_at_once_do_not_both_happen(complaint, store, consumer):
    outcomes = race(
        lambda: services.accept_claim(complaint=complaint, actor=store.owner),
        lambda: services.withdraw_complaint(complaint=complaint, actor=consumer),
    )
    assert outcomes.count("done") == 1
    assert Complaint.objects.get().status in {Complaint.Status.SETTLED, Complaint.Status.WITHDRAWN}


def test_two_deadline_workers_at_once_move_each_complaint_once(file, order, store, consumer):
    complaints = [
        file(),
        services.file_complaint(
            order=order,
            consumer=consumer,
            kind="after_sales",
            description="x",
            claimed_amount=Decimal("5.00"),
        ),
    ]
    for complaint in complaints:
        Complaint.objects.filter(pk=complaint.pk).update(due_at=complaint.created_at)
    now = max(c.created_at for c in complaints)
    race(lambda: process_due_complaints(now), lambda: process_due_complaints(now))
    assert set(Complaint.objects.values_list("status", flat=True)) == {
        Complaint.Status.UNDER_REVIEW
    }
    assert LedgerEntry.objects.filter(kind="hold").count() == 2
    assert_ledger_balanced()
