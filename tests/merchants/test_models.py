import pytest
from django.db import IntegrityError

from tests.factories import MerchantMemberFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_order_factory_builds_a_completed_order():
    order = OrderFactory()
    assert order.get_condition_display()
    assert order.total_paid == order.goods_amount + order.postage


def test_a_store_has_one_owner():
    owner = MerchantMemberFactory(role="owner")
    with pytest.raises(IntegrityError):
        MerchantMemberFactory(merchant=owner.merchant, role="owner")
