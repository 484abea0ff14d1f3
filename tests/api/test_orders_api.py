"""Orders pushed by the marketplace's order system: the CSV import's rules, all or nothing."""

from decimal import Decimal

import pytest

from api.models import Scope
from merchants.models import Order
from tests.api.conftest import make_caller
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"


def _order(store, number="API-0001", **changes) -> dict:
    return {
        "order_number": number,
        "consumer": "13812341234",
        "consumer_name": "张三",
        "merchant_code": store.code,
        "item_title": "纯棉T恤",
        "goods_amount": "199.00",
        "postage": "10.00",
        "paid_at": "2026-11-01T10:00:00+08:00",
        **changes,
    }


def test_a_batch_creates_orders_and_a_later_one_updates_their_progress(order_system, store):
    first = order_system.post(
        f"{ORDERS}/batch", {"orders": [_order(store), _order(store, "API-0002")]}
    )
    assert first.status_code == 200
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "new_consumers": 1}
    shipped = _order(store, shipped_at="2026-11-02T09:00:00+08:00")
    second = order_system.post(f"{ORDERS}/batch", {"orders": [shipped, _order(store, "API-0002")]})
    assert second.json() == {"created": 0, "updated": 1, "unchanged": 1, "new_consumers": 0}
    assert Order.objects.get(order_number="API-0001").shipped_at is not None


def test_one_bad_order_refuses_the_batch_naming_each_bad_field(order_system, store):
    response = order_system.post(
        f"{ORDERS}/batch",
        {
            "orders": [
                _order(store),
                _order(store, "API-0002", goods_amount="free"),
                _order(store, "API-0003", merchant_code="nowhere", paid_at="yesterday"),
            ]
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_orders"
    assert set(error["fields"]) == {
        "orders[1].goods_amount",
        "orders[2].merchant_code",
        "orders[2].paid_at",
    }
    assert not Order.objects.exists()


def test_an_existing_order_keeps_its_amount_and_consumer(order_system, store):
    OrderFactory(order_number="API-0001", merchant=store)
    response = order_system.post(
        f"{ORDERS}/batch", {"orders": [_order(store, goods_amount="1.00")]}
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["orders[0]"]
    assert Order.objects.get(order_number="API-0001").goods_amount == Decimal("199.00")


def test_a_batch_holds_at_most_a_thousand_orders(order_system, store):
    orders = [_order(store, f"API-{n:05}") for n in range(1001)]
    response = order_system.post(f"{ORDERS}/batch", {"orders": orders})
    assert response.status_code == 422
    assert "orders" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_one_order_is_created_then_updated(order_system, store):
    created = order_system.post(ORDERS, _order(store))
    assert created.status_code == 201
    assert created.json()["goods_amount"] == "199.00"
    again = order_system.post(ORDERS, _order(store, completed_at="2026-11-05T10:00:00+08:00"))
    assert again.status_code == 200
    assert again.json()["completed_at"] is not None


def test_put_updates_a_known_order_and_is_404_for_an_unknown_one(order_system, store):
    order_system.post(ORDERS, _order(store))
    fields = _order(store, refunded_amount="20.00")
    del fields["order_number"]
    updated = order_system.put(f"{ORDERS}/API-0001", fields)
    assert updated.status_code == 200
    assert updated.json()["refunded_amount"] == "20.00"
    assert order_system.put(f"{ORDERS}/API-0404", fields).status_code == 404


def test_a_store_bound_order_client_writes_only_its_stores_orders(
    client, superuser, store, other_store
):
    store_orders = make_caller(
        client, superuser, name="Store orders", scopes=[Scope.ORDERS_WRITE], merchant=store
    )
    assert store_orders.post(ORDERS, _order(store)).status_code == 201
    refused = store_orders.post(ORDERS, _order(other_store, "API-0002"))
    assert refused.status_code == 422
    assert "merchant_code" in refused.json()["error"]["fields"]
    OrderFactory(order_number="OTHER-1", merchant=other_store)
    assert store_orders.get(f"{ORDERS}/OTHER-1").status_code == 404


def test_only_a_client_with_the_orders_scope_writes_orders(store_erp, payment_system, store):
    for caller in (store_erp, payment_system):
        assert caller.post(ORDERS, _order(store)).status_code == 403
    assert not Order.objects.exists()
