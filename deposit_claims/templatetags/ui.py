"""Presentation helpers shared by every face of the product."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """¥1,234.50 — thousands separators, two decimals, a real minus sign when negative."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def signed_money(value) -> str:
    """Ledger deltas: +¥100.00 / -¥100.00, so the sign never relies on colour."""
    if value is None:
        return ""
    amount = Decimal(value)
    return ("+" if amount > 0 else "") + money(amount)
