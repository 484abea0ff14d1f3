from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from deposits.audit import audit_deposits
from disputes import services
from merchants.models import Merchant, Order
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    MerchantMemberFactory,
    OrderFactory,
)


@dataclass
class Store:
    merchant: Merchant
    owner: User
    staff: User


@pytest.fixture
def store(db) -> Store:
    """A flagship store with an owner and a staff login, its ¥50,000 deposit paid in. The
    owner lets the staff member answer and settle up to ¥50,000 (tests/merchants and
    tests/disputes/test_staff_grants.py try narrower grants)."""
    account = DepositAccountFactory(paid_in=Decimal("50000.00"))
    owner = MerchantMemberFactory(merchant=account.merchant, role="owner").user
    staff = MerchantMemberFactory(
        merchant=account.merchant, role="staff", offer_limit=Decimal("50000.00")
    ).user
    return Store(account.merchant, owner, staff)


@pytest.fixture
def other_store(db) -> Store:
    account = DepositAccountFactory(paid_in=Decimal("50000.00"))
    owner = MerchantMemberFactory(merchant=account.merchant, role="owner").user
    return Store(account.merchant, owner, owner)


@pytest.fixture
def consumer(db):
    return ConsumerFactory(username="buyer@example.com")


@pytest.fixture
def order(store, consumer):
    """¥199 paid for goods, completed three days ago: every kind but the 7-day return is open."""
    paid = timezone.now() - timedelta(days=8)
    return OrderFactory(
        merchant=store.merchant,
        consumer=consumer,
        goods_amount=Decimal("199.00"),
        postage=Decimal("10.00"),
        paid_at=paid,
        shipped_at=paid + timedelta(hours=20),
        delivered_at=paid + timedelta(days=3),
        completed_at=paid + timedelta(days=5),
    )


@pytest.fixture
def file(order, consumer):
    """File a complaint on the order; defaults to a ¥199 description-mismatch claim."""

    def file_(**overrides):
        arguments = {
            "order": order,
            "consumer": consumer,
            "kind": "description_mismatch",
            "description": "颜色与描述不符。",
            "claimed_amount": Decimal("199.00"),
            **overrides,
        }
        return services.file_complaint(**arguments)

    return file_


@pytest.fixture
def complaint(file):
    return file()


@pytest.fixture
def second_order(order):
    """Another order of the same consumer at the same store, paid and delivered alike."""
    second = Order.objects.get(pk=order.pk)
    second.pk, second.order_number = None, f"{order.order_number}-2"
    second.save()
    return second


def assert_ledger_balanced():
    problems, _summary = audit_deposits()
    assert problems == []
