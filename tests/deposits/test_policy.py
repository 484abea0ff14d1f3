from datetime import timedelta
from decimal import Decimal

import pytest

from deposits.models import DepositPolicy
from deposits.policy import policy_in_force, required_deposit
from merchants.models import Category
from tests.factories import DepositPolicyFactory, DepositTierFactory, MerchantFactory

pytestmark = pytest.mark.django_db

D = Decimal


def store(*category_codes, **fields):
    merchant = MerchantFactory(**fields)
    merchant.categories.set(Category.objects.filter(code__in=category_codes))
    return merchant


@pytest.mark.parametrize(
    ("store_type", "trademark", "required"),
    [
        ("flagship", "R", "50000"),
        ("flagship", "TM", "100000"),
        ("specialty", "R", "50000"),
        ("specialty", "TM", "100000"),
        ("franchise", "R", "100000"),
        ("franchise", "TM", "150000"),
    ],
)
def test_default_tiers_follow_store_type_and_trademark(store_type, trademark, required):
    merchant = store("apparel", store_type=store_type, trademark_type=trademark)
    assert required_deposit(merchant) == D(required)


@pytest.mark.parametrize(
    ("categories", "store_fields", "required"),
    [
        (["apparel"], {"mall_flagship": True}, "150000"),
        (["books-av"], {"trademark_type": "TM"}, "50000"),
        (["books-av"], {"store_type": "franchise"}, "100000"),
        (["e-tickets"], {}, "10000"),
        (["e-tickets", "apparel"], {}, "50000"),
        (["otc-drugs"], {}, "300000"),
        (["otc-drugs"], {"mall_flagship": True}, "300000"),
        (["used-cars"], {}, "100000"),
        ([], {}, "50000"),
    ],
    ids=[
        "mall-type flagship",
        "books replace the TM tier",
        "books at a franchise store",
        "services alone",
        "services and apparel: the highest wins",
        "medical",
        "medical beats mall-type flagship",
        "cars",
        "no category counts as general",
    ],
)
def test_category_overrides_and_the_highest_tier_wins(categories, store_fields, required):
    assert required_deposit(store(*categories, **store_fields)) == D(required)


def test_a_sales_threshold_requires_more_above_it():
    policy = DepositPolicyFactory(
        effective_from=DepositPolicy.objects.get().effective_from + timedelta(1)
    )
    DepositTierFactory(
        policy=policy,
        amount=D("50000"),
        annual_sales_threshold=D("10000000"),
        amount_above_threshold=D("80000"),
    )
    at = policy.effective_from
    assert required_deposit(MerchantFactory(annual_sales=D("10000000")), at) == D("50000")
    assert required_deposit(MerchantFactory(annual_sales=D("10000000.01")), at) == D("80000")


def test_a_policy_applies_from_its_effective_moment(now):
    policy = DepositPolicyFactory(effective_from=now)
    DepositTierFactory(policy=policy, amount=D("70000"))
    merchant = MerchantFactory()
    assert required_deposit(merchant, now - timedelta(seconds=1)) == D("50000")
    assert required_deposit(merchant, now) == D("70000")
    assert policy_in_force(now + timedelta(days=365)) == policy


def test_no_policy_requires_nothing(now):
    assert (
        required_deposit(
            MerchantFactory(), DepositPolicy.objects.get().effective_from - timedelta(1)
        )
        == 0
    )
