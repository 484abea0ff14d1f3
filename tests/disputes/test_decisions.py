"""Deciding: the three targets of `decide`, four-eyes approval, rejections and strikes."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from deposits.models import Disbursement, LedgerEntry
from disputes import services
from disputes.models import AwardLine, Complaint, ConsumerStrike, Decision
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.test_review import (
    account_of,
    decide,
    png,
    reject,
    reload,
    reviewer_user,
    senior_user,
    suggested_lines,
    under_review,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


def _order(store, consumer, goods, postage="10.00", **extra):
    paid = timezone.now() - timedelta(days=8)
    return OrderFactory(
        merchant=store.merchant,
        consumer=consumer,
        goods_amount=Decimal(goods),
        postage=Decimal(postage),
        paid_at=paid,
        shipped_at=paid + timedelta(hours=20),
        delivered_at=paid + timedelta(days=3),
        completed_at=paid + timedelta(days=5),
        **extra,
    )


def _reviewed(file, store, consumer, order=None, **filing):
    if order is not None:
        filing["order"] = order
        filing.setdefault("claimed_amount", order.goods_amount)
    complaint = file(**filing)
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    return complaint, reviewer


# --- the three targets --------------------------------------------------------------------


def test_an_award_paid_from_the_deposit_pays_the_consumer_at_once(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decision = decide(complaint, reviewer)
    paid = reload(complaint)
    assert (paid.status, paid.held_amount) == (S.PAID, Decimal("0"))
    assert paid.paid_at is not None
    assert paid.due_at == paid.paid_at + timedelta(days=5)  # the appeal window
    assert (decision.status, decision.route, decision.total) == (
        Decision.Status.FINAL,
        "deposit",
        Decimal("209.00"),
    )
    assert decision.decided_by == reviewer and decision.approved_by is None
    assert Disbursement.objects.get().amount == Decimal("209.00")
    assert_ledger_balanced()


def test_a_pay_first_award_gives_the_merchant_72_hours_and_keeps_the_hold(
    complaint, store, consumer
):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with time_machine.travel(timezone.now(), tick=False):
        decide(complaint, reviewer, route="merchant_first")
        now = timezone.now()
    waiting = reload(complaint)
    assert (waiting.status, waiting.due_at) == (
        S.AWAITING_MERCHANT_PAYMENT,
        now + timedelta(hours=72),
    )
    assert waiting.held_amount == Decimal("199.00")
    assert account_of(store).held == Decimal("199.00")
    assert not Disbursement.objects.exists()
    assert_ledger_balanced()


@pytest.mark.parametrize(("goods", "needs_approval"), [("4990.00", False), ("4990.01", True)])
def test_only_awards_above_5000_wait_for_a_senior(file, store, consumer, goods, needs_approval):
    order = _order(store, consumer, goods)  # + ¥10 postage: ¥5,000.00 and ¥5,000.01
    complaint, reviewer = _reviewed(file, store, consumer, order)
    decision = decide(complaint, reviewer)
    assert decision.total == Decimal(goods) + Decimal("10.00")
    if needs_approval:
        assert reload(complaint).status == S.AWAITING_APPROVAL
        assert decision.status == Decision.Status.PENDING_APPROVAL
        assert not Disbursement.objects.exists()
    else:
        assert reload(complaint).status == S.PAID
        assert decision.status == Decision.Status.FINAL
    assert_ledger_balanced()


def test_an_award_may_be_less_than_the_suggestion_only_with_a_reason(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    less = [services.LineInput(rule="description_mismatch.refund", amount=Decimal("150.00"))]
    with pytest.raises(ValidationError) as error:
        decide(complaint, reviewer, lines=less)
    assert error.value.code == "reduction_reason"
    decision = decide(complaint, reviewer, lines=less, reduction_reason="部分商品可用。")
    assert (decision.total, decision.suggested_total) == (Decimal("150.00"), Decimal("209.00"))
    assert decision.lines.get().rule == "description_mismatch.refund"
    assert_ledger_balanced()


@pytest.mark.parametrize(
    "lines",
    [
        [services.LineInput(rule="description_mismatch.refund", amount=Decimal("199.01"))],
        [services.LineInput(rule="counterfeit.multiple", amount=Decimal("1.00"))],
        [services.LineInput(rule="description_mismatch.refund", amount=Decimal("0"))],
        [services.LineInput(rule="description_mismatch.refund", amount=Decimal("1.001"))],
    ],
    ids=["above the rule", "another kind's rule", "nothing", "a third decimal"],
)
def test_an_award_line_outside_its_rule_is_refused(complaint, store, consumer, lines):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError):
        decide(complaint, reviewer, lines=lines, reduction_reason="x")
    assert reload(complaint).status == S.UNDER_REVIEW
    assert not Decision.objects.exists()


def test_a_decision_needs_reasoning_and_a_reason_code(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError):
        decide(complaint, reviewer, reasoning="  ")
    with pytest.raises(ValidationError):
        decide(complaint, reviewer, reason_code="malicious")
    with pytest.raises(ValidationError):
        decide(complaint, reviewer, route="cash")
    assert not Decision.objects.exists()


def test_a_decision_cites_the_evidence_relied_on(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    [evidence] = services.add_evidence_files(
        complaint=complaint, uploader=consumer, kind="photo", files=[png()]
    )
    decision = decide(complaint, reviewer, evidence=[evidence])
    assert list(decision.evidence_relied_on.all()) == [evidence]


# --- four eyes ----------------------------------------------------------------------------


@pytest.fixture
def large(file, store, consumer):
    order = _order(store, consumer, "6000.00")
    complaint, reviewer = _reviewed(file, store, consumer, order)
    return complaint, reviewer


@pytest.mark.parametrize("route", ["deposit", "merchant_first"])
def test_a_senior_who_did_not_decide_approves_a_large_award(large, store, route):
    complaint, reviewer = large
    decision = decide(complaint, reviewer, route=route)
    senior = senior_user()
    approved = services.approve_decision(complaint=complaint, actor=senior)
    assert approved.pk == decision.pk
    assert (approved.status, approved.approved_by) == (Decision.Status.FINAL, senior)
    after = reload(complaint)
    if route == "deposit":
        assert after.status == S.PAID
        assert Disbursement.objects.get().amount == Decimal("6010.00")
    else:
        assert after.status == S.AWAITING_MERCHANT_PAYMENT
        assert not Disbursement.objects.exists()
    assert_ledger_balanced()


def test_a_senior_cannot_approve_an_award_they_decided(file, store, consumer):
    order = _order(store, consumer, "6000.00")
    complaint = file(order=order, claimed_amount=order.goods_amount)
    senior = senior_user()
    under_review(complaint, store, consumer, senior)
    decide(complaint, senior)
    with pytest.raises(ValidationError):
        services.approve_decision(complaint=complaint, actor=senior)
    with pytest.raises(ValidationError):
        services.send_back_decision(complaint=complaint, actor=senior, reason="自己退回")
    assert reload(complaint).status == S.AWAITING_APPROVAL
    services.approve_decision(complaint=complaint, actor=senior_user())
    assert reload(complaint).status == S.PAID


def test_a_plain_reviewer_cannot_approve(large):
    complaint, reviewer = large
    decide(complaint, reviewer)
    with pytest.raises(ValidationError):
        services.approve_decision(complaint=complaint, actor=reviewer_user())
    assert reload(complaint).status == S.AWAITING_APPROVAL


def test_a_sent_back_award_returns_to_the_reviewer_with_the_hold_kept(large, store, consumer):
    complaint, reviewer = large
    first = decide(complaint, reviewer)
    held = account_of(store).held
    senior = senior_user()
    with pytest.raises(ValidationError):
        services.send_back_decision(complaint=complaint, actor=senior, reason=" ")
    services.send_back_decision(complaint=complaint, actor=senior, reason="退款金额需复核。")
    first.refresh_from_db()
    assert (first.status, first.sent_back_reason) == (Decision.Status.SENT_BACK, "退款金额需复核。")
    back = reload(complaint)
    assert (back.status, back.assigned_reviewer) == (S.UNDER_REVIEW, reviewer)
    assert account_of(store).held == held
    # Decided again, lower: under the threshold it is final at once.
    second = decide(
        complaint,
        reviewer,
        lines=[services.LineInput(rule="description_mismatch.refund", amount=Decimal("4000.00"))],
        reduction_reason="部分退款。",
    )
    assert second.status == Decision.Status.FINAL
    assert reload(complaint).final_decision == second
    assert Disbursement.objects.get().amount == Decimal("4000.00")
    assert_ledger_balanced()


def test_approving_with_no_award_waiting_is_refused(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError):
        services.approve_decision(complaint=complaint, actor=senior_user())


# --- rejections and strikes -------------------------------------------------------------


@pytest.mark.parametrize("malicious", [False, True])
def test_a_rejection_releases_the_hold_and_opens_the_appeal_window(
    complaint, store, consumer, malicious
):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decision = reject(complaint, reviewer, malicious=malicious)
    rejected = reload(complaint)
    assert (rejected.status, rejected.held_amount) == (S.REJECTED, Decimal("0"))
    assert rejected.due_at == rejected.rejected_at + timedelta(days=5)
    assert decision.outcome == ("rejected_malicious" if malicious else "rejected")
    account = account_of(store)
    assert (account.balance, account.held) == (Decimal("50000.00"), Decimal("0"))
    assert LedgerEntry.objects.filter(kind="release").count() == 1
    assert not Disbursement.objects.exists()
    assert ConsumerStrike.objects.filter(consumer=consumer).count() == int(malicious)
    assert_ledger_balanced()


def test_only_the_malicious_reason_makes_a_malicious_rejection(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    for reason_code, malicious in [("malicious", False), ("insufficient_evidence", True)]:
        with pytest.raises(ValidationError):
            services.reject_complaint(
                complaint=complaint,
                actor=reviewer,
                reason_code=reason_code,
                reasoning="x",
                malicious=malicious,
            )
    assert reload(complaint).status == S.UNDER_REVIEW


def _malicious_complaint(store, consumer, kind="description_mismatch"):
    order = _order(store, consumer, "199.00")
    complaint = services.file_complaint(
        order=order,
        consumer=consumer,
        kind=kind,
        description="恶意投诉",
        claimed_amount=Decimal("100.00"),
    )
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    reject(complaint, reviewer, malicious=True)
    return complaint


def _can_file(store, consumer):
    order = _order(store, consumer, "99.00")
    try:
        services.file_complaint(
            order=order,
            consumer=consumer,
            kind="description_mismatch",
            description="新投诉",
            claimed_amount=Decimal("10.00"),
        )
    except ValidationError as error:
        assert error.code == "refused"
        return False
    return True


def test_two_malicious_rejections_in_12_months_restrict_filing_for_90_days(store, consumer):
    start = timezone.now()
    _malicious_complaint(store, consumer)
    assert _can_file(store, consumer)
    with time_machine.travel(start + timedelta(days=200)):
        _malicious_complaint(store, consumer)
        second = ConsumerStrike.objects.latest("created_at").created_at
        assert not _can_file(store, consumer)
    with time_machine.travel(second + timedelta(days=90) - timedelta(seconds=1), tick=False):
        assert not _can_file(store, consumer)
    with time_machine.travel(second + timedelta(days=90), tick=False):
        assert _can_file(store, consumer)


def test_strikes_more_than_12_months_apart_do_not_restrict(store, consumer):
    start = timezone.now()
    _malicious_complaint(store, consumer)
    with time_machine.travel(start + timedelta(days=366)):
        _malicious_complaint(store, consumer)
        assert _can_file(store, consumer)


def test_an_ordinary_rejection_gives_no_strike(store, consumer):
    for _ in range(2):
        order = _order(store, consumer, "50.00")
        complaint = services.file_complaint(
            order=order,
            consumer=consumer,
            kind="description_mismatch",
            description="x",
            claimed_amount=Decimal("50.00"),
        )
        reviewer = reviewer_user()
        under_review(complaint, store, consumer, reviewer)
        reject(complaint, reviewer)
    assert not ConsumerStrike.objects.exists()
    assert _can_file(store, consumer)


# --- the merchant pays first --------------------------------------------------------------


def test_the_merchant_confirms_paying_first_with_proof_and_the_hold_is_released(
    complaint, store, consumer
):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decision = decide(complaint, reviewer, route="merchant_first")
    with pytest.raises(ValidationError) as error:
        services.confirm_merchant_payment(complaint=complaint, actor=store.staff, proof_files=[])
    assert error.value.code == "no_proof"
    paid = services.confirm_merchant_payment(
        complaint=complaint, actor=store.staff, proof_files=[png("转账.png")]
    )
    assert (paid.status, paid.held_amount) == (S.PAID, Decimal("0"))
    assert paid.due_at == paid.paid_at + timedelta(days=5)
    proof = paid.evidence.get(kind="payment_voucher")
    assert (proof.party, proof.uploaded_by) == ("merchant", store.staff)
    lines = AwardLine.objects.filter(decision=decision)
    assert all(line.paid_by_merchant and line.paid_amount == line.amount for line in lines)
    assert all(line.ledger_entry is None for line in lines)
    account = account_of(store)
    assert (account.balance, account.held) == (Decimal("50000.00"), Decimal("0"))
    assert not Disbursement.objects.exists()
    assert not LedgerEntry.objects.filter(kind="claim_payout").exists()
    assert_ledger_balanced()


def test_a_proof_that_is_not_an_image_or_pdf_is_refused(complaint, store, consumer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer, route="merchant_first")
    with pytest.raises(ValidationError):
        services.confirm_merchant_payment(
            complaint=complaint,
            actor=store.owner,
            proof_files=[SimpleUploadedFile("v.png", b"<html>not a picture</html>")],
        )
    assert reload(complaint).status == S.AWAITING_MERCHANT_PAYMENT
    assert account_of(store).held == Decimal("199.00")


def test_the_merchant_cannot_confirm_once_the_72_hours_are_over(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer, route="merchant_first")
    due = reload(complaint).due_at
    with time_machine.travel(due, tick=False), pytest.raises(ValidationError):
        services.confirm_merchant_payment(
            complaint=complaint, actor=store.owner, proof_files=[png()]
        )
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        services.confirm_merchant_payment(
            complaint=complaint, actor=store.owner, proof_files=[png()]
        )
    assert reload(complaint).status == S.PAID


def test_suggested_lines_of_a_counterfeit_claim_are_refund_and_capped_multiple(
    file, store, consumer
):
    complaint = file(kind="counterfeit", claimed_amount=Decimal("995.00"))
    lines = suggested_lines(complaint)
    assert [(line.rule, line.amount) for line in lines] == [
        ("counterfeit.refund", Decimal("199.00")),
        ("counterfeit.multiple", Decimal("796.00")),
    ]


def test_an_approved_pay_first_award_gives_72_hours_from_the_approval(large, store):
    complaint, reviewer = large
    decide(complaint, reviewer, route="merchant_first")
    later = timezone.now() + timedelta(hours=30)
    with time_machine.travel(later, tick=False):
        services.approve_decision(complaint=complaint, actor=senior_user())
    approved = reload(complaint)
    assert (approved.status, approved.due_at) == (
        S.AWAITING_MERCHANT_PAYMENT,
        later + timedelta(hours=72),
    )
    assert account_of(store).held == Decimal("6000.00")


def test_an_award_approved_between_reading_a_case_and_its_decisions_still_counts(large, store):
    from disputes import caps
    from disputes.models import Complaint

    complaint, reviewer = large
    decide(complaint, reviewer)
    read_before = Complaint.objects.get(pk=complaint.pk)  # awaiting approval
    services.approve_decision(complaint=complaint, actor=senior_user())
    # Its decisions are read only now, when the award is final and no longer pending.
    assert read_before.status == S.AWAITING_APPROVAL
    assert caps.counted(read_before).total == Decimal("6010.00")
