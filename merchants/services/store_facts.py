"""Changing the facts of a store that set its required deposit, recorded with who and why."""

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.db import atomic_service

from ..models import Category, Merchant, StoreFactChange

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


def yes_or_no(value) -> bool:
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
    "mall_flagship": yes_or_no,
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
