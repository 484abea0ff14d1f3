"""Every way an award is paid, each ending with the ledger adding up."""

from decimal import Decimal

import pytest

from deposits import services as ledger
from deposits.models import Disbursement, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import AwardLine, Complaint
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.test_review import (
    account_of,
    decide,
    reload,
    reviewer_user,
    under_review,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status


def _hold_elsewhere(store, amount):
    ledger.hold(
        account=account_of(store),
        amount=Decimal(amount),
        reference="complaint:OTHER",
        idempotency_key=f"other-hold-{amount}",
    )


def _release_elsewhere(store):
    ledger.release_hold(
        account=account_of(store), reference="complaint:OTHER", idempotency_key="other-release"
    )


def _entries(kind):
    return LedgerEntry.objects.filter(kind=kind)


def test_a_deposit_payout_uses_the_hold_then_the_free_balance(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decision = decide(complaint, reviewer)
    payout = _entries("claim_payout").get()
    assert (payout.balance_delta, payout.held_delta, payout.arrears_delta) == (
        Decimal("-209.00"),
        Decimal("-199.00"),
        Decimal("0"),
    )
    assert payout.reference == complaint.ledger_reference
    assert not _entries("platform_advance").exists()
    account = account_of(store)
    assert (account.balance, account.held, account.arrears) == (
        Decimal("49791.00"),
        Decimal("0"),
        Decimal("0"),
    )
    lines = list(AwardLine.objects.filter(decision=decision))
    assert [(line.category, line.amount, line.paid_amount) for line in lines] == [
        ("refund", Decimal("199.00"), Decimal("199.00")),
        ("shipping", Decimal("10.00"), Decimal("10.00")),
    ]
    assert {line.ledger_entry_id for line in lines} == {payout.pk}
    assert not any(line.paid_by_merchant for line in lines)
    disbursement = Disbursement.objects.get()
    assert (disbursement.payee, disbursement.payee_kind, disbursement.amount) == (
        consumer,
        "consumer",
        Decimal("209.00"),
    )
    # The consumer chose no account yet: the payout waits for one (test_payout_destination).
    assert (disbursement.ledger_entry, disbursement.status) == (payout, "awaiting_account")
    assert reload(complaint).held_amount == 0
    # The balance fell below the ¥50,000 the store must keep: a top-up notice.
    assert account.top_up_amount_due == Decimal("209.00")
    assert_ledger_balanced()


def test_a_payout_larger_than_the_deposit_is_advanced_as_arrears(complaint, store, consumer):
    _hold_elsewhere(store, "49900.00")  # ¥100 left for this claim
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    assert reload(complaint).held_amount == Decimal("100.00")
    decision = decide(complaint, reviewer)
    payout = _entries("claim_payout").get()
    advance = _entries("platform_advance").get()
    assert (payout.balance_delta, payout.held_delta) == (Decimal("-100.00"), Decimal("-100.00"))
    assert advance.arrears_delta == Decimal("109.00")
    account = account_of(store)
    assert (account.balance, account.held, account.arrears) == (
        Decimal("49900.00"),
        Decimal("49900.00"),
        Decimal("109.00"),
    )
    # The consumer is paid in full all the same.
    assert Disbursement.objects.get().amount == Decimal("209.00")
    assert decision.paid_total == Decimal("209.00")
    assert_ledger_balanced()


def test_an_empty_deposit_still_pays_the_consumer_in_full(complaint, store, consumer):
    _hold_elsewhere(store, "50000.00")
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    assert reload(complaint).held_amount == 0
    decide(complaint, reviewer)
    assert _entries("platform_advance").get().arrears_delta == Decimal("209.00")
    assert Disbursement.objects.get().amount == Decimal("209.00")
    assert account_of(store).arrears == Decimal("209.00")
    assert_ledger_balanced()


@pytest.fixture
def counterfeit(file):
    return file(kind="counterfeit", claimed_amount=Decimal("995.00"))


def test_a_counterfeit_award_is_paid_in_full_when_the_deposit_covers_it(
    counterfeit, store, consumer
):
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    assert reload(counterfeit).held_amount == Decimal("995.00")
    decision = decide(counterfeit, reviewer)
    refund, multiple = AwardLine.objects.filter(decision=decision)
    assert (multiple.capped, multiple.amount, multiple.paid_amount) == (
        True,
        Decimal("796.00"),
        Decimal("796.00"),
    )
    assert refund.paid_amount == Decimal("199.00")
    assert Disbursement.objects.get().amount == Decimal("995.00")
    assert account_of(store).balance == Decimal("49005.00")
    assert_ledger_balanced()


def test_the_counterfeit_multiple_is_capped_at_what_is_available_to_the_claim(
    counterfeit, store, consumer
):
    _hold_elsewhere(store, "49700.00")  # ¥300 available
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    assert reload(counterfeit).held_amount == Decimal("300.00")
    decision = decide(counterfeit, reviewer)
    refund, multiple = AwardLine.objects.filter(decision=decision)
    # The refund takes ¥199 of the hold; the multiple gets the ¥101 left, no more.
    assert refund.paid_amount == Decimal("199.00")
    assert (multiple.amount, multiple.paid_amount) == (Decimal("796.00"), Decimal("101.00"))
    assert decision.paid_total == Decimal("300.00")
    assert Disbursement.objects.get().amount == Decimal("300.00")
    assert not _entries("platform_advance").exists()
    account = account_of(store)
    assert (account.balance, account.held, account.arrears) == (
        Decimal("49700.00"),
        Decimal("49700.00"),
        Decimal("0"),
    )
    assert_ledger_balanced()


def test_the_counterfeit_cap_counts_the_free_balance_at_payout_not_at_escalation(
    counterfeit, store, consumer
):
    _hold_elsewhere(store, "49700.00")
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    _release_elsewhere(store)  # the other claim was rejected meanwhile
    decision = decide(counterfeit, reviewer)
    assert decision.paid_total == Decimal("995.00")
    assert Disbursement.objects.get().amount == Decimal("995.00")
    assert_ledger_balanced()


def test_a_counterfeit_multiple_on_an_empty_deposit_pays_nothing_but_the_refund_is_advanced(
    counterfeit, store, consumer
):
    _hold_elsewhere(store, "50000.00")
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    decision = decide(counterfeit, reviewer)
    refund, multiple = AwardLine.objects.filter(decision=decision)
    assert (refund.paid_amount, multiple.paid_amount) == (Decimal("199.00"), Decimal("0"))
    assert account_of(store).arrears == Decimal("199.00")
    assert Disbursement.objects.get().amount == Decimal("199.00")
    assert_ledger_balanced()


def test_the_multiple_alone_cannot_be_awarded(counterfeit, store, consumer):
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    with pytest.raises(Exception) as error:
        decide(
            counterfeit,
            reviewer,
            lines=[services.LineInput(rule="counterfeit.multiple", amount=Decimal("796.00"))],
            reduction_reason="只赔偿",
        )
    assert getattr(error.value, "code", None) == "capped_only"


@pytest.mark.parametrize(
    ("other_hold", "arrears"), [(None, "0"), ("49950.00", "159.00")], ids=["covered", "shortfall"]
)
def test_a_lapsed_pay_first_is_charged_to_the_deposit(
    complaint, store, consumer, other_hold, arrears
):
    if other_hold:
        _hold_elsewhere(store, other_hold)
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    held = reload(complaint).held_amount
    decision = decide(complaint, reviewer, route="merchant_first")
    due = reload(complaint).due_at
    process_due_complaints(due)
    charged = reload(complaint)
    assert (charged.status, charged.held_amount) == (S.PAID, Decimal("0"))
    assert charged.due_at == due + (charged.due_at - charged.paid_at)  # appeal window from now
    payout = _entries("claim_payout").get()
    assert payout.held_delta == -held
    assert payout.actor is None  # the system charged it
    assert Disbursement.objects.get().amount == Decimal("209.00")
    lines = AwardLine.objects.filter(decision=decision)
    assert all(line.ledger_entry_id == payout.pk and not line.paid_by_merchant for line in lines)
    assert account_of(store).arrears == Decimal(arrears)
    assert_ledger_balanced()


def test_a_deposit_charged_twice_pays_once(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer, route="merchant_first")
    due = reload(complaint).due_at
    process_due_complaints(due)
    process_due_complaints(due)
    assert Disbursement.objects.count() == 1
    assert _entries("claim_payout").count() == 1
    assert_ledger_balanced()


def test_a_large_award_is_paid_only_on_approval(file, store, consumer):
    from tests.disputes.test_decisions import _order
    from tests.disputes.test_review import senior_user

    order = _order(store, consumer, "8000.00")
    complaint = file(order=order, claimed_amount=order.goods_amount)
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decision = decide(complaint, reviewer)
    assert not _entries("claim_payout").exists()
    assert account_of(store).held == Decimal("8000.00")
    services.approve_decision(complaint=complaint, actor=senior_user())
    payout = _entries("claim_payout").get()
    assert (payout.balance_delta, payout.held_delta) == (Decimal("-8010.00"), Decimal("-8000.00"))
    assert {line.ledger_entry_id for line in decision.lines.all()} == {payout.pk}
    assert Disbursement.objects.get().amount == Decimal("8010.00")
    assert_ledger_balanced()
