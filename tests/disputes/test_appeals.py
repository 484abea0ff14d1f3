"""Appeals: the window, once per complaint, the other party's answer, the senior's
resolution, and the money that follows it after each payment route."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from deposits import services as ledger
from deposits.models import Disbursement, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Appeal, AwardLine, Complaint, ConsumerStrike
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.test_decisions import _can_file, _malicious_complaint, _order
from tests.disputes.test_review import (
    account_of,
    decide,
    png,
    reject,
    reload,
    reviewer_user,
    senior_user,
    under_review,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status
SECOND = timedelta(seconds=1)
REFUND, SHIPPING = "description_mismatch.refund", "description_mismatch.shipping"


def counterfeit_award(multiple, refund="199.00"):
    return [
        services.LineInput(rule="counterfeit.refund", amount=Decimal(refund)),
        services.LineInput(rule="counterfeit.multiple", amount=Decimal(multiple)),
    ]


def award(refund, shipping="10.00"):
    """The lines of an award on the ¥199 description-mismatch complaint (¥10 postage)."""
    return [
        services.LineInput(rule=REFUND, amount=Decimal(refund)),
        services.LineInput(rule=SHIPPING, amount=Decimal(shipping)),
    ]


def _after(route, complaint, store, consumer, lines=None):
    """Take the complaint to `paid` (or `rejected`) by one of the routes."""
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    if route == "rejected":
        reject(complaint, reviewer)
        return reviewer
    decide(
        complaint,
        reviewer,
        route="deposit" if route == "deposit" else "merchant_first",
        lines=lines,
        reduction_reason="部分损失未证实。" if lines else "",
    )
    if route == "paid_first":
        services.confirm_merchant_payment(
            complaint=complaint, actor=store.owner, proof_files=[png()]
        )
    elif route == "pay_first_lapsed":
        process_due_complaints(reload(complaint).due_at)
    assert reload(complaint).status in (S.PAID, S.REJECTED)
    return reviewer


def _appeal(complaint, actor, reason="新证据表明损失更大。"):
    return services.appeal_complaint(complaint=complaint, actor=actor, reason=reason)


def _ready(complaint, appellant, responder):
    _appeal(complaint, appellant)
    services.respond_to_appeal(complaint=complaint, actor=responder, response="不同意。")


def _resolve(complaint, outcome, lines=None, actor=None):
    return services.resolve_appeal(
        complaint=complaint,
        actor=actor or senior_user(),
        outcome=outcome,
        resolution="复核后的结论。",
        lines=lines,
    )


# --- the window and who may appeal --------------------------------------------------------


@pytest.mark.parametrize("route", ["deposit", "paid_first", "pay_first_lapsed", "rejected"])
@pytest.mark.parametrize("who", ["consumer", "merchant"])
def test_either_party_may_appeal_until_5_days_after_payment_or_rejection(
    complaint, store, consumer, route, who
):
    _after(route, complaint, store, consumer)
    due = reload(complaint).due_at
    settled_at = reload(complaint).paid_at or reload(complaint).rejected_at
    assert due == settled_at + timedelta(days=5)
    actor = consumer if who == "consumer" else store.staff
    with time_machine.travel(due, tick=False), pytest.raises(ValidationError):
        _appeal(complaint, actor)
    with time_machine.travel(due - SECOND, tick=False):
        appeal = _appeal(complaint, actor)
        assert appeal.response_due_at == due - SECOND + timedelta(hours=48)
    appealed = reload(complaint)
    assert (appealed.status, appealed.due_at) == (S.UNDER_APPEAL, appeal.response_due_at)
    assert (appeal.party, appeal.appellant) == (who, actor)


def test_only_one_appeal_per_complaint(complaint, store, consumer):
    _after("deposit", complaint, store, consumer)
    _appeal(complaint, consumer)
    with pytest.raises(ValidationError):
        _appeal(complaint, store.owner)  # the other party cannot open a second one
    with pytest.raises(ValidationError):
        _appeal(complaint, consumer)
    services.respond_to_appeal(complaint=complaint, actor=store.owner, response="x")
    _resolve(complaint, "upheld")
    for actor in (consumer, store.owner):
        with pytest.raises(ValidationError):
            _appeal(complaint, actor)
    assert Appeal.objects.count() == 1


def test_an_appeal_needs_grounds_and_may_bring_new_evidence(complaint, store, consumer):
    _after("deposit", complaint, store, consumer)
    with pytest.raises(ValidationError):
        _appeal(complaint, consumer, reason="   ")
    services.appeal_complaint(complaint=complaint, actor=consumer, reason="新证据", files=[png()])
    assert reload(complaint).evidence.filter(party="consumer", kind="other").count() == 1


# --- the other party's response -----------------------------------------------------------


def test_only_the_other_party_responds_within_48_hours(complaint, store, consumer, other_store):
    _after("deposit", complaint, store, consumer)
    appeal = _appeal(complaint, store.owner)
    for stranger in (store.staff, other_store.owner, senior_user()):
        with pytest.raises(ValidationError):
            services.respond_to_appeal(complaint=complaint, actor=stranger, response="x")
    with time_machine.travel(appeal.response_due_at, tick=False), pytest.raises(ValidationError):
        services.respond_to_appeal(complaint=complaint, actor=consumer, response="迟到的回复")
    with time_machine.travel(appeal.response_due_at - SECOND, tick=False):
        services.respond_to_appeal(complaint=complaint, actor=consumer, response="我不同意")
    appeal.refresh_from_db()
    assert (appeal.response, appeal.ready_for_resolution) == ("我不同意", True)
    assert reload(complaint).due_at is None
    with pytest.raises(ValidationError):
        services.respond_to_appeal(complaint=complaint, actor=consumer, response="再说一次")


def test_the_appeal_waits_for_the_response_before_the_senior_resolves(complaint, store, consumer):
    _after("deposit", complaint, store, consumer)
    _appeal(complaint, consumer)
    with pytest.raises(ValidationError):
        _resolve(complaint, "upheld")
    assert reload(complaint).status == S.UNDER_APPEAL


# --- who resolves -------------------------------------------------------------------------


def test_the_senior_who_decided_cannot_resolve_the_appeal(complaint, store, consumer):
    senior = senior_user()
    under_review(complaint, store, consumer, senior)
    decide(complaint, senior)
    _ready(complaint, consumer, store.owner)
    with pytest.raises(ValidationError):
        _resolve(complaint, "upheld", actor=senior)
    with pytest.raises(ValidationError):
        _resolve(complaint, "upheld", actor=reviewer_user())  # not a senior
    _resolve(complaint, "upheld")
    assert reload(complaint).status == S.CLOSED


def test_the_senior_who_approved_cannot_resolve_the_appeal(file, store, consumer):
    order = _order(store, consumer, "6000.00")
    complaint = file(order=order, claimed_amount=order.goods_amount)
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer)
    approver = senior_user()
    services.approve_decision(complaint=complaint, actor=approver)
    _ready(complaint, store.owner, consumer)
    with pytest.raises(ValidationError):
        _resolve(complaint, "upheld", actor=approver)
    _resolve(complaint, "upheld")
    assert_ledger_balanced()


def test_an_upheld_decision_closes_the_complaint_and_moves_no_money(complaint, store, consumer):
    _after("deposit", complaint, store, consumer)
    _ready(complaint, consumer, store.owner)
    entries = LedgerEntry.objects.count()
    appeal = _resolve(complaint, "upheld")
    assert (appeal.outcome, appeal.new_total) == ("upheld", Decimal("209.00"))
    closed = reload(complaint)
    assert (closed.status, closed.closure_reason, closed.due_at) == (
        S.CLOSED,
        "appeal_resolved",
        None,
    )
    assert LedgerEntry.objects.count() == entries
    assert_ledger_balanced()


def test_an_outcome_must_move_the_award_the_way_it_says(complaint, store, consumer):
    _after("deposit", complaint, store, consumer)
    _ready(complaint, consumer, store.owner)
    for outcome, lines in [
        ("revised_up", award("199.00")),  # the same ¥209: not raised
        ("revised_up", award("100.00")),
        ("revised_down", award("199.00")),
        ("revised_down", award("300.00")),  # above the rule, and above what was paid
        ("revised_down", award("-1.00")),
        ("overturned", []),
    ]:
        with pytest.raises(ValidationError):
            _resolve(complaint, outcome, lines)
    assert reload(complaint).status == S.UNDER_APPEAL


def test_a_raise_lowers_no_line_and_a_lowering_raises_none(complaint, store, consumer):
    _after("deposit", complaint, store, consumer, lines=award("150.00", "5.00"))
    _ready(complaint, consumer, store.owner)
    with pytest.raises(ValidationError, match="A raised award lowers no line"):
        _resolve(complaint, "revised_up", award("199.00", "0.00"))
    with pytest.raises(ValidationError, match="A lowered award raises no line"):
        _resolve(complaint, "revised_down", award("100.00", "10.00"))
    assert reload(complaint).status == S.UNDER_APPEAL


# --- the money after each route ---------------------------------------------------------


@pytest.mark.parametrize("route", ["deposit", "paid_first", "pay_first_lapsed", "rejected"])
def test_an_award_raised_on_appeal_pays_each_line_its_difference(complaint, store, consumer, route):
    _after(route, complaint, store, consumer, lines=award("100.00"))
    paid = Decimal("0") if route == "rejected" else Decimal("110.00")
    disbursed = Disbursement.objects.count()
    _ready(complaint, consumer, store.owner)
    balance = account_of(store).balance
    appeal = _resolve(complaint, "revised_up", award("199.00"))
    difference = Decimal("209.00") - paid
    lines = list(AwardLine.objects.filter(appeal=appeal))
    raised = {line.rule: (line.amount, line.paid_amount) for line in lines}
    if route == "rejected":
        assert raised == {
            REFUND: (Decimal("199.00"), Decimal("199.00")),
            SHIPPING: (Decimal("10.00"), Decimal("10.00")),
        }
    else:
        assert raised == {REFUND: (Decimal("99.00"), Decimal("99.00"))}
    (entry,) = {line.ledger_entry for line in lines}
    assert entry.kind == "claim_payout"
    assert entry.balance_delta == -difference
    disbursement = Disbursement.objects.get(ledger_entry=entry)
    assert (disbursement.payee, disbursement.amount) == (consumer, difference)
    assert Disbursement.objects.count() == disbursed + 1
    assert account_of(store).balance == balance - difference
    assert appeal.new_total == Decimal("209.00")
    assert reload(complaint).status == S.CLOSED
    assert_ledger_balanced()


@pytest.mark.parametrize("route", ["deposit", "pay_first_lapsed"])
def test_an_award_lowered_after_a_deposit_payout_is_reimbursed_to_the_deposit(
    complaint, store, consumer, route
):
    _after(route, complaint, store, consumer)
    _ready(complaint, store.owner, consumer)
    balance = account_of(store).balance
    disbursements = Disbursement.objects.count()
    appeal = _resolve(complaint, "revised_down", award("140.00"))
    line = AwardLine.objects.get(appeal=appeal)
    assert (line.amount, line.paid_amount) == (Decimal("59.00"), Decimal("59.00"))
    assert line.ledger_entry.kind == "reimbursement"
    assert line.ledger_entry.balance_delta == Decimal("59.00")
    assert account_of(store).balance == balance + Decimal("59.00")
    # The consumer keeps what was paid.
    assert Disbursement.objects.count() == disbursements
    assert_ledger_balanced()


def test_a_lowered_award_cancels_arrears_before_reimbursing_the_deposit(complaint, store, consumer):
    ledger.hold(
        account=account_of(store),
        amount=Decimal("49950.00"),
        reference="complaint:OTHER",
        idempotency_key="other",
    )
    _after("deposit", complaint, store, consumer)
    assert account_of(store).arrears == Decimal("159.00")
    _ready(complaint, store.owner, consumer)
    balance = account_of(store).balance
    appeal = _resolve(complaint, "revised_down", award("0", "0"))
    account = account_of(store)
    assert account.arrears == Decimal("0")
    assert account.balance == balance + Decimal("50.00")  # ¥209 − ¥159 of arrears
    kinds = list(
        LedgerEntry.objects.filter(operation_key__endswith="appeal-reimbursement")
        .order_by("id")
        .values_list("kind", "arrears_delta", "balance_delta")
    )
    assert kinds == [
        ("arrears_settlement", Decimal("-159.00"), Decimal("0")),
        ("reimbursement", Decimal("0"), Decimal("50.00")),
    ]
    assert AwardLine.objects.get(appeal=appeal).amount == Decimal("209.00")
    assert_ledger_balanced()


def test_an_award_lowered_after_the_merchant_paid_first_is_reimbursed_to_the_merchant(
    complaint, store, consumer
):
    _after("paid_first", complaint, store, consumer)
    _ready(complaint, store.owner, consumer)
    balance = account_of(store).balance
    _resolve(complaint, "revised_down", award("90.00"))
    disbursement = Disbursement.objects.get()
    assert (disbursement.payee, disbursement.payee_kind, disbursement.amount) == (
        store.owner,
        "merchant",
        Decimal("109.00"),
    )
    assert disbursement.ledger_entry.kind == "reimbursement"
    assert account_of(store).balance == balance  # the money goes to the store, not the deposit
    assert_ledger_balanced()


def test_a_merchant_who_paid_first_has_its_arrears_cancelled_before_being_paid(
    file, complaint, store, consumer
):
    # Another claim left the store owing ¥59.
    other = file(kind="after_sales", claimed_amount=Decimal("59.00"))
    ledger.hold(
        account=account_of(store),
        amount=Decimal("50000.00"),
        reference="complaint:FULL",
        idempotency_key="full",
    )
    reviewer = reviewer_user()
    under_review(other, store, consumer, reviewer)
    decide(
        other,
        reviewer,
        lines=[services.LineInput(rule="after_sales.loss", amount=Decimal("59.00"))],
        reduction_reason="损失59元",
    )
    ledger.release_hold(
        account=account_of(store), reference="complaint:FULL", idempotency_key="full-release"
    )
    assert account_of(store).arrears == Decimal("59.00")
    _after("paid_first", complaint, store, consumer)
    _ready(complaint, store.owner, consumer)
    _resolve(complaint, "revised_down", award("90.00"))
    assert account_of(store).arrears == Decimal("0")
    merchant_payment = Disbursement.objects.get(payee_kind="merchant")
    assert merchant_payment.amount == Decimal("50.00")  # ¥109 less the ¥59 owed
    assert_ledger_balanced()


def test_lowering_a_capped_counterfeit_award_reimburses_only_what_was_paid(file, store, consumer):
    ledger.hold(
        account=account_of(store),
        amount=Decimal("49700.00"),
        reference="complaint:OTHER",
        idempotency_key="other",
    )
    complaint = file(kind="counterfeit", claimed_amount=Decimal("995.00"))
    _after("deposit", complaint, store, consumer)
    assert Disbursement.objects.get().amount == Decimal("300.00")  # ¥199 + ¥101 of the multiple
    _ready(complaint, store.owner, consumer)
    balance = account_of(store).balance
    _resolve(complaint, "revised_down", counterfeit_award("51.00"))
    # The store paid ¥300 and should have paid ¥250: it gets ¥50 back, not ¥745.
    assert account_of(store).balance == balance + Decimal("50.00")
    assert_ledger_balanced()


def test_lowering_a_capped_award_to_above_what_was_paid_reimburses_nothing(file, store, consumer):
    ledger.hold(
        account=account_of(store),
        amount=Decimal("49700.00"),
        reference="complaint:OTHER",
        idempotency_key="other",
    )
    complaint = file(kind="counterfeit", claimed_amount=Decimal("995.00"))
    _after("deposit", complaint, store, consumer)
    _ready(complaint, store.owner, consumer)
    entries = LedgerEntry.objects.count()
    _resolve(complaint, "revised_down", counterfeit_award("301.00"))
    assert LedgerEntry.objects.count() == entries
    assert reload(complaint).status == S.CLOSED
    assert_ledger_balanced()


# --- strikes ------------------------------------------------------------------------------


def test_overturning_a_malicious_rejection_removes_the_strike(store, consumer):
    first = _malicious_complaint(store, consumer)
    second = _malicious_complaint(store, consumer)
    assert not _can_file(store, consumer)
    _ready(second, consumer, store.owner)
    _resolve(second, "revised_up", award("40.00"))
    strike = ConsumerStrike.objects.get(complaint=second)
    assert strike.removed_at is not None
    assert ConsumerStrike.objects.get(complaint=first).removed_at is None
    assert _can_file(store, consumer)
    assert_ledger_balanced()


def test_a_malicious_label_lifted_without_an_award_removes_the_strike(store, consumer):
    complaint = _malicious_complaint(store, consumer)
    _ready(complaint, consumer, store.owner)
    _resolve(complaint, "revised_down", award("0", "0"))
    assert ConsumerStrike.objects.get(complaint=complaint).removed_at is not None
    assert not LedgerEntry.objects.filter(kind="reimbursement").exists()


def test_an_upheld_malicious_rejection_keeps_the_strike(store, consumer):
    complaint = _malicious_complaint(store, consumer)
    _ready(complaint, consumer, store.owner)
    _resolve(complaint, "upheld")
    assert ConsumerStrike.objects.get(complaint=complaint).removed_at is None


def test_a_lowered_outcome_on_a_malicious_rejection_cannot_pay_the_consumer(store, consumer):
    complaint = _malicious_complaint(store, consumer)
    _ready(complaint, consumer, store.owner)
    with pytest.raises(ValidationError):
        _resolve(complaint, "revised_down", award("40.00"))
    assert reload(complaint).status == S.UNDER_APPEAL
    assert not Disbursement.objects.exists()
    assert ConsumerStrike.objects.get(complaint=complaint).removed_at is None
