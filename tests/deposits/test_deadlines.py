from datetime import timedelta
from decimal import Decimal

import pytest

from deposits import services
from deposits.deadlines import process_due_top_ups
from deposits.models import DepositAccount
from merchants.models import Category, Merchant
from tests.factories import (
    DepositAccountFactory,
    DepositPolicyFactory,
    DepositTierFactory,
    MerchantFactory,
    MerchantMemberFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def status_of(account):
    return Merchant.objects.get(pk=account.merchant_id).status


@pytest.fixture
def short(now):
    account = DepositAccountFactory(paid_in=D("20000.00"))
    services.request_top_up(account=account, now=now)
    return account


def test_a_store_is_not_restricted_a_second_before_its_top_up_deadline(short):
    assert process_due_top_ups(short.top_up_due_by - timedelta(seconds=1)) == 0
    assert status_of(short) == "active"


def test_a_store_is_restricted_at_its_top_up_deadline(
    short, mailoutbox, django_capture_on_commit_callbacks
):
    MerchantMemberFactory(merchant=short.merchant, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        assert process_due_top_ups(short.top_up_due_by) == 1
    assert status_of(short) == "restricted"
    short.refresh_from_db()
    assert short.restricted_for_top_up_at == short.top_up_due_by
    [mail] = mailoutbox
    assert "监管" in mail.subject  # e-mail goes out in the platform's language


def test_a_store_past_its_deadline_is_restricted_once(short):
    later = short.top_up_due_by + timedelta(hours=1)
    assert process_due_top_ups(later) == 1
    assert process_due_top_ups(later) == 0
    assert process_due_top_ups(later + timedelta(days=1)) == 0
    assert status_of(short) == "restricted"


def test_a_store_that_topped_up_in_time_is_not_restricted(short):
    due_by = short.top_up_due_by
    services.record_pay_in(
        account=short, amount=D("30000.00"), kind="top_up", reference="B", idempotency_key="t"
    )
    assert process_due_top_ups(due_by + timedelta(days=1)) == 0
    assert status_of(short) == "active"


def test_a_closing_store_is_not_restricted(short):
    Merchant.objects.filter(pk=short.merchant_id).update(status="closing")
    assert process_due_top_ups(short.top_up_due_by) == 0
    assert status_of(short) == "closing"


@pytest.fixture
def higher_policy(now):
    """From `now`, general stores need ¥70,000 and services stores still ¥10,000."""
    policy = DepositPolicyFactory(effective_from=now)
    DepositTierFactory(policy=policy, amount=D("70000"))
    DepositTierFactory(policy=policy, category_group="services", amount=D("10000"))
    return policy


def test_a_policy_taking_effect_sends_top_up_notices(
    higher_policy, account, now, mailoutbox, django_capture_on_commit_callbacks
):
    assert process_due_top_ups(now - timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert process_due_top_ups(now) == 1
    account.refresh_from_db()
    assert account.top_up_amount_due == D("20000.00")
    assert account.top_up_due_by == now + services.TOP_UP_PERIOD
    assert len(mailoutbox) == 1
    higher_policy.refresh_from_db()
    assert higher_policy.applied_at == now


def test_a_policy_is_applied_once(higher_policy, account, now):
    assert process_due_top_ups(now) == 1
    assert process_due_top_ups(now + timedelta(minutes=1)) == 0
    account.refresh_from_db()
    assert account.top_up_due_by == now + services.TOP_UP_PERIOD


def test_a_policy_leaves_stores_whose_requirement_did_not_change_alone(higher_policy, now):
    merchant = MerchantFactory()
    merchant.categories.set(Category.objects.filter(code="e-tickets"))
    services.record_pay_in(
        account=services.get_or_open_account(merchant=merchant),
        amount=D("5000"),
        reference="B",
        idempotency_key="k",
    )
    assert process_due_top_ups(now) == 0
    assert DepositAccount.objects.get(merchant=merchant).top_up_due_by is None


def test_a_policy_opens_an_account_for_a_store_that_never_paid_in(higher_policy, now):
    merchant = MerchantFactory()
    MerchantMemberFactory(merchant=merchant, role="owner")
    assert process_due_top_ups(now) == 1
    assert DepositAccount.objects.get(merchant=merchant).top_up_amount_due == D("70000.00")


def test_a_lower_requirement_closes_an_open_notice(short, now):
    policy = DepositPolicyFactory(effective_from=now + timedelta(days=1))
    DepositTierFactory(policy=policy, amount=D("20000"))
    process_due_top_ups(policy.effective_from)
    short.refresh_from_db()
    assert (short.top_up_amount_due, short.top_up_due_by) == (D("0"), None)
