from datetime import timedelta
from decimal import Decimal

import pytest

from deposits.audit import audit_deposits
from deposits.demo import seed_deposits
from deposits.models import DepositAccount, LedgerEntry
from merchants.models import Merchant
from tests.factories import FinanceUserFactory, MerchantFactory, MerchantMemberFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchants():
    stores = [MerchantFactory(code=f"demo-{n}") for n in range(4)]
    for store in stores:
        MerchantMemberFactory(merchant=store, role="owner")
    OrderFactory(merchant=stores[2])
    return stores


def test_the_demo_funds_stores_and_leaves_one_short_and_one_restricted(merchants, now):
    seed_deposits(merchants=merchants, now=now, actor=FinanceUserFactory())

    funded, short, restricted, also_funded = (
        DepositAccount.objects.get(merchant=m) for m in merchants
    )
    assert funded.balance == also_funded.balance == Decimal("50000.00")
    assert (short.top_up_amount_due, short.top_up_due_by is not None) == (Decimal("10000.00"), True)
    assert Merchant.objects.get(pk=restricted.merchant_id).status == "restricted"
    assert restricted.arrears == Decimal("1000.00")
    assert audit_deposits()[0] == []


def test_the_demo_writes_nothing_when_run_again_later(merchants, now):
    finance = FinanceUserFactory()
    seed_deposits(merchants=merchants, now=now, actor=finance)
    accounts = list(DepositAccount.objects.order_by("pk").values())
    entries = LedgerEntry.objects.count()
    seed_deposits(merchants=merchants, now=now + timedelta(hours=1), actor=finance)
    assert list(DepositAccount.objects.order_by("pk").values()) == accounts
    assert LedgerEntry.objects.count() == entries
