"""Orders from the marketplace: its CSV export and the integration API both go through
`upsert_orders`, so the two accept and refuse exactly the same rows."""

import csv
from dataclasses import dataclass, field
from typing import TextIO

from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _

from accounts.services import get_or_create_consumer
from common.db import atomic_service

from ..forms import ORDER_COLUMNS, OrderRowForm
from ..models import Order

PROGRESS_FIELDS = (
    "item_title",
    "postage",
    "refunded_amount",
    "ship_by",
    "shipped_at",
    "delivered_at",
    "completed_at",
)
# Errors that concern a row as a whole rather than one of its fields.
ROW = "__all__"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_consumers: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row of a batch: `index` counts from 0, `fields` maps a column
    (or ROW) to its messages."""

    index: int
    fields: dict[str, list[str]]


class OrderRowsError(Exception):
    """Some rows of a batch are bad; nothing of the batch was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


class OrderImportError(Exception):
    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


def _field_messages(form: OrderRowForm) -> dict[str, list[str]]:
    errors: ErrorDict = form.errors
    return {name: [str(message) for message in messages] for name, messages in errors.items()}


def _validated(rows: list[dict], merchant) -> tuple[list[dict], list[RowError]]:
    valid, errors, seen = [], [], set()
    for index, row in enumerate(rows):
        form = OrderRowForm(data=row)
        if not form.is_valid():
            errors.append(RowError(index, _field_messages(form)))
            continue
        data = form.cleaned_data
        if merchant is not None and data["merchant_code"] != merchant:
            message = _("This client may only write orders of its own store.")
            errors.append(RowError(index, {"merchant_code": [message]}))
            continue
        number = data["order_number"]
        if number in seen:
            message = _("Order %(number)s repeats an earlier row.") % {"number": number}
            errors.append(RowError(index, {"order_number": [message]}))
            continue
        seen.add(number)
        valid.append(data)
    return valid, errors


def upsert_orders(*, rows: list[dict], merchant=None) -> ImportResult:
    """Create or update the orders `rows` describe (the export's columns as keys): every
    row valid, or nothing is written (`OrderRowsError` names each bad row).

    A known order number updates the order's progress (shipping, delivery, completion,
    refunds); its consumer, store, amount and payment time never change. With `merchant`,
    every row must be of that store.
    """
    valid, errors = _validated(rows, merchant)
    if errors:
        raise OrderRowsError(errors)
    return _write_orders(valid)


def _describe(form_errors: dict[str, list[str]]) -> str:
    labels = OrderRowForm.base_fields
    parts = []
    for name, messages in form_errors.items():
        text = "; ".join(messages)
        parts.append(f"{labels[name].label}: {text}" if name in labels else text)
    return " | ".join(parts)


def import_orders(*, stream: TextIO) -> ImportResult:
    """Import the marketplace's order export (CSV with a header row): the rules of
    `upsert_orders`, the errors named by the file's line."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [c for c, f in OrderRowForm.base_fields.items() if f.required and c not in header]
    if missing:
        raise OrderImportError(
            [(1, _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)})]
        )
    unknown = [c for c in header if c not in ORDER_COLUMNS]
    if unknown:
        raise OrderImportError(
            [(1, _("Unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})]
        )
    rows, lines = [], []
    for row in reader:
        rows.append({k: (v or "").strip() for k, v in row.items() if k})
        lines.append(reader.line_num)
    if not rows:
        raise OrderImportError([(1, _("The file has no orders."))])
    try:
        return upsert_orders(rows=rows)
    except OrderRowsError as error:
        raise OrderImportError(
            [(lines[e.index], _describe(e.fields)) for e in error.errors]
        ) from None


@atomic_service
def _write_orders(rows: list[dict]) -> ImportResult:
    result = ImportResult()
    existing = {
        o.order_number: o
        for o in Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("consumer")
        .filter(order_number__in=[d["order_number"] for d in rows])
    }
    conflicts = _conflicting_existing(rows, existing)
    if conflicts:
        raise OrderRowsError(conflicts)
    for data in rows:
        order = existing.get(data["order_number"])
        if order is None:
            consumer, created = get_or_create_consumer(
                identifier=data["consumer"], display_name=data["consumer_name"]
            )
            result.new_consumers += created
            Order.objects.create(
                order_number=data["order_number"],
                consumer=consumer,
                merchant=data["merchant_code"],
                goods_amount=data["goods_amount"],
                paid_at=data["paid_at"],
                **{name: data[name] for name in PROGRESS_FIELDS},
            )
            result.created += 1
            continue
        changed = [n for n in PROGRESS_FIELDS if getattr(order, n) != data[n]]
        if not changed:
            result.unchanged += 1
            continue
        for name in changed:
            setattr(order, name, data[name])
        order.save(update_fields=changed)
        result.updated += 1
    return result


def _conflicting_existing(rows: list[dict], existing) -> list[RowError]:
    errors = []
    for index, data in enumerate(rows):
        order = existing.get(data["order_number"])
        if order is None:
            continue
        same = (
            order.consumer.username == data["consumer"]
            and order.merchant_id == data["merchant_code"].pk
            and order.goods_amount == data["goods_amount"]
            and order.paid_at == data["paid_at"]
        )
        if not same:
            message = _(
                "Order %(number)s exists with a different consumer, store, amount or payment time."
            ) % {"number": data["order_number"]}
            errors.append(RowError(index, {ROW: [message]}))
    return errors
