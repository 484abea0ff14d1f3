from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from deposits import services as ledger
from deposits.models import DepositAccount, LedgerEntry
from disputes import services
from disputes.models import Complaint
from tests.disputes.conftest import assert_ledger_balanced
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _account(store):
    return DepositAccount.objects.get(merchant=store.merchant)


def test_a_refused_consumer_escalates_and_the_likely_award_is_held(complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert escalated.status == Complaint.Status.UNDER_REVIEW
    assert escalated.held_amount == Decimal("199.00")  # the claim, below the ¥209 suggestion
    account = _account(store)
    assert (account.held, account.available) == (Decimal("199.00"), Decimal("49801.00"))
    assert LedgerEntry.objects.get(kind="hold").reference == complaint.ledger_reference
    assert_ledger_balanced()


def test_the_hold_is_capped_at_what_the_deposit_has_available(file, store, consumer):
    account = _account(store)
    ledger.hold(
        account=account, amount=Decimal("49900.00"), reference="other", idempotency_key="other-hold"
    )
    complaint = file()
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert escalated.held_amount == Decimal("100.00")
    assert_ledger_balanced()


def test_an_empty_deposit_holds_nothing_but_the_platform_still_steps_in(file, store, consumer):
    account = _account(store)
    ledger.hold(
        account=account, amount=Decimal("50000.00"), reference="other", idempotency_key="all"
    )
    complaint = file()
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert (escalated.status, escalated.held_amount) == (
        Complaint.Status.UNDER_REVIEW,
        Decimal("0"),
    )
    assert_ledger_balanced()


def test_the_consumer_cannot_escalate_while_the_merchant_still_has_time(complaint, consumer):
    with (
        time_machine.travel(complaint.due_at - timedelta(seconds=1)),
        pytest.raises(ValidationError),
    ):
        services.escalate_complaint(complaint=complaint, actor=consumer)
    assert LedgerEntry.objects.filter(kind="hold").count() == 0


def test_the_consumer_may_escalate_once_the_merchant_stayed_silent_48_hours(complaint, consumer):
    with time_machine.travel(complaint.due_at):
        escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert escalated.status == Complaint.Status.UNDER_REVIEW
    assert not escalated.escalated_by_system


def test_an_open_offer_must_be_answered_before_escalating(complaint, store, consumer):
    services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("10.00"),
        compensation_amount=Decimal("0"),
    )
    with pytest.raises(ValidationError):
        services.escalate_complaint(complaint=complaint, actor=consumer)


def test_the_merchant_cannot_escalate(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    with pytest.raises(ValidationError):
        services.escalate_complaint(complaint=complaint, actor=store.owner)


def test_escalating_twice_holds_once(complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    services.escalate_complaint(complaint=complaint, actor=consumer)
    with pytest.raises(ValidationError):
        services.escalate_complaint(complaint=complaint, actor=consumer)
    assert LedgerEntry.objects.filter(kind="hold").count() == 1
    assert _account(store).held == Decimal("199.00")


def test_withdrawing_under_review_releases_the_hold(complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    services.escalate_complaint(complaint=complaint, actor=consumer)
    withdrawn = services.withdraw_complaint(complaint=complaint, actor=consumer)
    assert withdrawn.status == Complaint.Status.WITHDRAWN
    assert withdrawn.held_amount == 0
    assert _account(store).held == 0
    assert_ledger_balanced()


def test_a_store_without_a_deposit_account_gets_one_and_holds_nothing(consumer):
    order = OrderFactory(consumer=consumer)
    complaint = services.file_complaint(
        order=order,
        consumer=consumer,
        kind="after_sales",
        description="没有售后",
        claimed_amount=Decimal("50.00"),
    )
    with time_machine.travel(complaint.due_at):
        escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert escalated.held_amount == 0
    assert_ledger_balanced()


def test_a_counterfeit_claim_holds_refund_and_multiple_up_to_the_claim(file, store, consumer):
    complaint = file(kind="counterfeit", claimed_amount=Decimal("995.00"))
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="正品")
    escalated = services.escalate_complaint(complaint=complaint, actor=consumer)
    assert escalated.suggested_amount == Decimal("995.00")  # 199 + 4 × 199
    assert escalated.held_amount == Decimal("995.00")
    assert_ledger_balanced()


def test_every_negotiation_path_leaves_the_ledger_balanced(file, store, consumer, order):
    settled = services.file_complaint(
        order=order,
        consumer=consumer,
        kind="after_sales",
        description="x",
        claimed_amount=Decimal("10.00"),
    )
    services.accept_claim(complaint=settled, actor=store.owner)
    first = file()
    services.refuse_claim(complaint=first, actor=store.owner, reason="不同意")
    services.escalate_complaint(complaint=first, actor=consumer)
    services.withdraw_complaint(complaint=first, actor=consumer)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.reopen_complaint(complaint=settled, actor=consumer)
    assert_ledger_balanced()
