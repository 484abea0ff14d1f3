"""Importing the marketplace's order export."""

import csv
from dataclasses import dataclass, field
from typing import TextIO

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


class OrderImportError(Exception):
    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


def _row_errors(form: OrderRowForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = "; ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " | ".join(parts)


def _validate(stream: TextIO) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [c for c, f in OrderRowForm.base_fields.items() if f.required and c not in header]
    if missing:
        return [], [(1, _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)})]
    unknown = [c for c in header if c not in ORDER_COLUMNS]
    if unknown:
        return [], [(1, _("Unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})]
    rows, errors, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        form = OrderRowForm(data={k: (v or "").strip() for k, v in row.items() if k})
        if not form.is_valid():
            errors.append((line, _row_errors(form)))
            continue
        data = form.cleaned_data
        number = data["order_number"]
        if number in seen:
            message = _("Order %(number)s repeats line %(line)s.")
            errors.append((line, message % {"number": number, "line": seen[number]}))
            continue
        seen[number] = line
        rows.append((line, data))
    if not rows and not errors:
        errors.append((1, _("The file has no orders.")))
    return rows, errors


def _conflicting_existing(rows, existing) -> list[tuple[int, str]]:
    errors = []
    for line, data in rows:
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
            )
            errors.append((line, message % {"number": data["order_number"]}))
    return errors


def import_orders(*, stream: TextIO) -> ImportResult:
    """Import the marketplace's order export: every row valid, or nothing is written.

    A known order number updates the order's progress (shipping, delivery, completion,
    refunds); its consumer, store, amount and payment time never change.
    """
    rows, errors = _validate(stream)
    if errors:
        raise OrderImportError(errors)
    return _write_orders(rows)


@atomic_service
def _write_orders(rows) -> ImportResult:
    result = ImportResult()
    existing = {
        o.order_number: o
        for o in Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("consumer")
        .filter(order_number__in=[d["order_number"] for _line, d in rows])
    }
    conflicts = _conflicting_existing(rows, existing)
    if conflicts:
        raise OrderImportError(conflicts)
    for _line, data in rows:
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
