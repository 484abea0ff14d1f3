import pytest
from django.urls import reverse

from tests.factories import ConsumerFactory, MerchantMemberFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MerchantMemberFactory()


def test_merchants_see_consumers_masked(client, member):
    consumer = ConsumerFactory(username="13812341234", display_name="张三丰")
    OrderFactory(merchant=member.merchant, consumer=consumer)
    client.force_login(member.user)
    page = client.get(reverse("merchants:orders")).content.decode()
    assert "张**" in page and "138****1234" in page
    assert "张三丰" not in page and "13812341234" not in page


def test_a_store_sees_only_its_own_orders(client, member):
    OrderFactory(merchant=member.merchant, item_title="本店商品")
    OrderFactory(item_title="别家商品")
    client.force_login(member.user)
    page = client.get(reverse("merchants:orders")).content.decode()
    assert "本店商品" in page and "别家商品" not in page


def test_a_consumer_sees_only_their_own_orders(client):
    mine = OrderFactory(item_title="我的订单商品")
    OrderFactory(item_title="别人的订单商品")
    client.force_login(mine.consumer)
    page = client.get(reverse("disputes:consumer_orders")).content.decode()
    assert "我的订单商品" in page and "别人的订单商品" not in page


def test_an_empty_order_list_says_what_will_appear_there(client):
    client.force_login(ConsumerFactory())
    page = client.get(reverse("disputes:consumer_orders"), HTTP_ACCEPT_LANGUAGE="en")
    assert b'class="empty-state"' in page.content
    assert b"Orders you place on the marketplace with this account appear here" in page.content
