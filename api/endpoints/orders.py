"""Orders from the marketplace's order system: the rules of the CSV import
(`merchants.services.upsert_orders`), one order or a batch of up to 1,000."""

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from merchants.models import Order
from merchants.services import ROW, OrderRowsError, upsert_orders

from ..auth import ApiKeyAuth
from ..errors import ApiError
from ..models import Scope

router = Router(tags=["orders"], auth=ApiKeyAuth(Scope.ORDERS_WRITE))
MAX_BATCH = 1000


class OrderFields(Schema):
    """The columns of the marketplace's export. Amounts are decimal strings in yuan
    ("199.00"), times ISO 8601 (without an offset: Beijing time)."""

    consumer: str = Field(description="The consumer's e-mail address or mobile number.")
    consumer_name: str = ""
    merchant_code: str = Field(description="The store's code.")
    item_title: str
    goods_amount: str = Field(examples=["199.00"])
    postage: str | None = Field(None, examples=["0.00"])
    refunded_amount: str | None = Field(None, examples=["0.00"])
    paid_at: str = Field(examples=["2026-11-01T10:00:00+08:00"])
    ship_by: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    completed_at: str | None = None


class OrderIn(OrderFields):
    order_number: str


class OrderBatchIn(Schema):
    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH)


class OrderOut(Schema):
    order_number: str
    merchant_code: str
    item_title: str
    goods_amount: Decimal
    postage: Decimal
    refunded_amount: Decimal
    paid_at: datetime
    ship_by: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None

    @staticmethod
    def resolve_merchant_code(order):
        return order.merchant.code


class UpsertResult(Schema):
    created: int
    updated: int
    unchanged: int
    new_consumers: int


def _upsert(client, rows: list[dict], *, batch: bool):
    """Write the rows, or 422 naming each bad field: `orders[<index>].<field>` (the row as
    a whole: `orders[<index>]`) in a batch, `<field>` (or `order`) for one order."""
    try:
        return upsert_orders(rows=rows, merchant=client.merchant)
    except OrderRowsError as error:
        fields = {}
        for row in error.errors:
            for name, messages in row.fields.items():
                if batch:
                    key = f"orders[{row.index}]" + ("" if name == ROW else f".{name}")
                else:
                    key = "order" if name == ROW else name
                fields.setdefault(key, []).extend(messages)
        raise ApiError(422, "invalid_orders", fields=fields) from None


def _order(client, number: str) -> Order:
    orders = Order.objects.select_related("merchant")
    if client.merchant is not None:
        orders = orders.filter(merchant=client.merchant)
    return get_object_or_404(orders, order_number=number)


@router.post("/batch", response=UpsertResult, summary="Create or update up to 1,000 orders")
def upsert_batch(request, payload: OrderBatchIn):
    """All or nothing: one bad order refuses the batch, and each bad order's fields are
    named `orders[<index>].<field>` in the error."""
    client = request.auth.client
    return _upsert(client, [order.dict() for order in payload.orders], batch=True)


@router.post(
    "",
    response={200: OrderOut, 201: OrderOut},
    summary="Create an order, or update a known one's progress",
)
def upsert_one(request, payload: OrderIn):
    client = request.auth.client
    result = _upsert(client, [payload.dict()], batch=False)
    return Status(201 if result.created else 200, _order(client, payload.order_number))


@router.put("/{order_number}", response=OrderOut, summary="Update a known order's progress")
def update_one(request, order_number: str, payload: OrderFields):
    """The consumer, store, amount and payment time must be the order's own: only the
    progress (shipping, delivery, completion, refunds, postage, title) changes."""
    client = request.auth.client
    _order(client, order_number)
    _upsert(client, [{**payload.dict(), "order_number": order_number}], batch=False)
    return _order(client, order_number)


@router.get("/{order_number}", response=OrderOut, summary="One order")
def read_one(request, order_number: str):
    return _order(request.auth.client, order_number)
