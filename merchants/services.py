"""Writes of the merchants layer: importing the marketplace's orders, changing store facts."""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import get_or_create_consumer
from common.db import atomic_service

from .forms import ORDER_COLUMNS, OrderRowForm
from .models import Category, Merchant, Order, StoreFactChange

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


# --- store facts ------------------------------------------------------------------------

# Higher layers register what must follow a change of store facts (deposits recomputes
# the requirement and opens or closes the top-up notice) in their AppConfig.ready(). Each
# listener runs inside the service's transaction, so a failing listener undoes the change.
STORE_FACTS_CHANGED: list[Callable[[Merchant, StoreFactChange], None]] = []

CENT = Decimal("0.01")
# What a DecimalField(max_digits=14, decimal_places=2) can hold.
MAX_AMOUNT = Decimal("999999999999.99")


def _choice(value, allowed: list[str]) -> str:
    if value not in allowed:
        raise ValidationError(
            gettext_lazy("“%(value)s” is not one of the choices."),
            code="invalid_choice",
            params={"value": value},
        )
    return value


def _yes_or_no(value) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(gettext_lazy("Answer yes or no."), code="invalid")
    return value


def _categories(value) -> list[Category]:
    if isinstance(value, str | Category) or not isinstance(value, Iterable):
        raise ValidationError(gettext_lazy("Give a list of categories."), code="invalid")
    categories = list(value)
    if any(not isinstance(c, Category) or c.pk is None for c in categories):
        raise ValidationError(gettext_lazy("Unknown category."), code="invalid")
    return categories


def _annual_sales(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationError(
            gettext_lazy("The annual sales must be an amount in yuan."), code="invalid"
        )
    amount = Decimal(value)
    if not amount.is_finite() or amount > MAX_AMOUNT:
        raise ValidationError(
            gettext_lazy("The annual sales are out of range."), code="out_of_range"
        )
    if amount < 0:
        raise ValidationError(gettext_lazy("The annual sales cannot be negative."), code="negative")
    if amount != amount.quantize(CENT):
        raise ValidationError(
            gettext_lazy("The annual sales can have at most two decimals."), code="precision"
        )
    return amount.quantize(CENT)


FACT_CHECKS: dict[str, Callable] = {
    "store_type": lambda value: _choice(value, Merchant.StoreType.values),
    "mall_flagship": _yes_or_no,
    "trademark_type": lambda value: _choice(value, Merchant.TrademarkType.values),
    "categories": _categories,
    "annual_sales": _annual_sales,
}


def _as_json(name: str, value):
    """A fact as StoreFactChange records it: JSON has no decimals and no model instances."""
    if name == "categories":
        return sorted({category.code for category in value})
    if name == "annual_sales":
        return str(value)
    return value


def _facts(merchant: Merchant) -> dict:
    return {
        "store_type": merchant.store_type,
        "mall_flagship": merchant.mall_flagship,
        "trademark_type": merchant.trademark_type,
        "categories": sorted(merchant.categories.values_list("code", flat=True)),
        "annual_sales": str(merchant.annual_sales.quantize(CENT)),
    }


@atomic_service
def change_store_facts(
    *,
    merchant: Merchant,
    actor,
    reason: str,
    store_type: str | None = None,
    mall_flagship: bool | None = None,
    trademark_type: str | None = None,
    categories: Iterable[Category] | None = None,
    annual_sales: Decimal | None = None,
) -> StoreFactChange | None:
    """Change the facts that set a store's required deposit, recording who, when and why.

    A fact left None stays as it is. When no fact actually changes nothing is written and
    None is returned. Every listener in STORE_FACTS_CHANGED runs in the same transaction,
    so the requirement is recomputed exactly when the facts change. The merchant passed in
    is refreshed in place.
    """
    if actor is None or not actor.has_perm("merchants.change_store_facts"):
        raise PermissionDenied(_("Only senior reviewers change the facts of a store."))
    errors: dict[str, ValidationError] = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ValidationError(
            gettext_lazy("Give the reason for the change."), code="required"
        )
    given = {
        "store_type": store_type,
        "mall_flagship": mall_flagship,
        "trademark_type": trademark_type,
        "categories": categories,
        "annual_sales": annual_sales,
    }
    wanted = {}
    for name, value in given.items():
        if value is None:
            continue
        try:
            wanted[name] = FACT_CHECKS[name](value)
        except ValidationError as error:
            errors[name] = error
    if errors:
        raise ValidationError(errors)

    # No joins in the locking query, and a no-key lock: it orders fact changes of one
    # store without blocking rows that merely reference it (orders, its deposit account).
    merchant.refresh_from_db(from_queryset=Merchant.objects.select_for_update(no_key=True))
    flagship = wanted.get("store_type", merchant.store_type) == Merchant.StoreType.FLAGSHIP
    if wanted.get("mall_flagship", merchant.mall_flagship) and not flagship:
        # The database refuses it too (merchant_mall_flagship_is_flagship); say why first.
        raise ValidationError(
            {
                "mall_flagship": ValidationError(
                    gettext_lazy("Only a flagship store can be a mall-type flagship store."),
                    code="mall_flagship_not_flagship",
                )
            }
        )
    before = _facts(merchant)
    after = {name: _as_json(name, value) for name, value in wanted.items()}
    changed = [name for name in before if name in after and after[name] != before[name]]
    if not changed:
        return None

    fields = [name for name in changed if name != "categories"]
    for name in fields:
        setattr(merchant, name, wanted[name])
    if fields:
        merchant.save(update_fields=fields)
    if "categories" in changed:
        merchant.categories.set(wanted["categories"])
    change = StoreFactChange.objects.create(
        merchant=merchant,
        actor=actor,
        reason=reason.strip(),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    for listener in STORE_FACTS_CHANGED:
        listener(merchant, change)
    return change
