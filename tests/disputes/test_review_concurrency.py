"""Races in the platform's half between real transactions: PostgreSQL only."""

from decimal import Decimal

import pytest

from deposits.models import DepositAccount, Disbursement, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Appeal, AwardLine, Complaint, Decision
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.races import race
from tests.disputes.test_decisions import _order
from tests.disputes.test_review import (
    decide,
    png,
    reload,
    reviewer_user,
    senior_user,
    under_review,
)

pytestmark = pytest.mark.postgres

S = Complaint.Status
REFUSALS = (
    "You cannot decide this complaint now.",
    "You cannot take this complaint now.",
    "You cannot approve the award of this complaint now.",
    "You cannot send back the award of this complaint now.",
    "You cannot resolve the appeal on this complaint now.",
    "You cannot confirm the payment of this complaint now.",
    "You cannot withdraw this complaint now.",
    "Someone else changed this complaint a moment ago. Reload the page and try again.",
)


def _paid_once():
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 1
    assert Disbursement.objects.count() == 1


def _refusals_are_clear(outcomes):
    assert all(outcome == "done" or outcome in REFUSALS for outcome in outcomes), outcomes


def test_two_reviewers_deciding_at_once_pay_once(complaint, store, consumer):
    first, second = reviewer_user(), reviewer_user()
    under_review(complaint, store, consumer, first)

    def second_takes_over_and_decides():
        services.take_case(complaint=complaint, actor=second)
        decide(complaint, second)

    outcomes = race(lambda: decide(complaint, first), second_takes_over_and_decides)
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    assert reload(complaint).status == S.PAID
    assert Decision.objects.count() == 1
    _paid_once()
    assert_ledger_balanced()


def test_one_reviewer_submitting_a_decision_four_times_pays_once(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    outcomes = race(*[lambda: decide(complaint, reviewer)] * 4)
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    assert outcomes.count("You cannot decide this complaint now.") == 3
    assert Decision.objects.count() == 1
    assert AwardLine.objects.filter(ledger_entry__isnull=False).count() == 2
    _paid_once()
    account = DepositAccount.objects.get(merchant=store.merchant)
    assert (account.balance, account.held) == (Decimal("49791.00"), Decimal("0"))
    assert_ledger_balanced()


@pytest.fixture
def awaiting_approval(file, store, consumer):
    order = _order(store, consumer, "6000.00")
    complaint = file(order=order, claimed_amount=order.goods_amount)
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer)
    return complaint


def test_two_seniors_approving_at_once_pay_once(awaiting_approval):
    complaint = awaiting_approval
    seniors = [senior_user() for _ in range(3)]
    outcomes = race(
        *[lambda s=s: services.approve_decision(complaint=complaint, actor=s) for s in seniors]
    )
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    decision = Decision.objects.get()
    assert decision.status == Decision.Status.FINAL and decision.approved_by in seniors
    _paid_once()
    assert Disbursement.objects.get().amount == Decimal("6010.00")
    assert_ledger_balanced()


def test_approving_and_sending_back_at_once_do_not_both_happen(awaiting_approval):
    complaint = awaiting_approval
    outcomes = race(
        lambda: services.approve_decision(complaint=complaint, actor=senior_user()),
        lambda: services.send_back_decision(complaint=complaint, actor=senior_user(), reason="x"),
    )
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    status = reload(complaint).status
    assert status in (S.PAID, S.UNDER_REVIEW)
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == int(status == S.PAID)
    assert_ledger_balanced()


def test_two_seniors_resolving_an_appeal_at_once_pay_the_difference_once(
    complaint, store, consumer
):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(
        complaint,
        reviewer,
        lines=[services.LineInput(rule="description_mismatch.refund", amount=Decimal("99.00"))],
        reduction_reason="部分证实",
    )
    services.appeal_complaint(complaint=complaint, actor=consumer, reason="赔少了")
    services.respond_to_appeal(complaint=complaint, actor=store.owner, response="不同意")

    def resolve(senior, refund):
        return lambda: services.resolve_appeal(
            complaint=complaint,
            actor=senior,
            outcome="revised_up",
            resolution="提高赔付",
            lines=[
                services.LineInput(rule="description_mismatch.refund", amount=Decimal(refund)),
                services.LineInput(rule="description_mismatch.shipping", amount=Decimal("10.00")),
            ],
        )

    outcomes = race(resolve(senior_user(), "150.00"), resolve(senior_user(), "199.00"))
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    appeal = Appeal.objects.get()
    raised = AwardLine.objects.filter(appeal=appeal)
    assert sum(line.paid_amount for line in raised) == appeal.new_total - Decimal("99.00")
    assert Disbursement.objects.count() == 2  # the award and the one difference
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 2
    assert reload(complaint).status == S.CLOSED
    assert_ledger_balanced()


def test_confirming_payment_and_the_deadline_charging_at_once_do_not_both_happen(
    complaint, store, consumer
):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer, route="merchant_first")
    due = reload(complaint).due_at
    outcomes = race(
        lambda: services.confirm_merchant_payment(
            complaint=complaint, actor=store.owner, proof_files=[png()]
        ),
        lambda: process_due_complaints(due),
    )
    _refusals_are_clear(outcomes)
    paid = reload(complaint)
    assert paid.status == S.PAID
    paid_by_merchant = AwardLine.objects.filter(paid_by_merchant=True).exists()
    payouts = LedgerEntry.objects.filter(kind="claim_payout").count()
    assert payouts == (0 if paid_by_merchant else 1)
    assert DepositAccount.objects.get(merchant=store.merchant).held == 0
    assert_ledger_balanced()


def test_deciding_and_withdrawing_at_once_do_not_both_happen(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    outcomes = race(
        lambda: decide(complaint, reviewer),
        lambda: services.withdraw_complaint(complaint=complaint, actor=consumer),
    )
    assert outcomes.count("done") == 1
    _refusals_are_clear(outcomes)
    status = reload(complaint).status
    assert status in (S.PAID, S.WITHDRAWN)
    assert Disbursement.objects.count() == int(status == S.PAID)
    assert DepositAccount.objects.get(merchant=store.merchant).held == 0
    assert_ledger_balanced()
