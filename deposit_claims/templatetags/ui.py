"""Presentation helpers shared by every face of the product."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

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


STATUS_FAMILIES = {
    "negotiating": "blue",
    "under_review": "amber",
    "awaiting_approval": "amber",
    "under_appeal": "amber",
    "awaiting_info": "violet",
    "awaiting_merchant_payment": "violet",
    "paid": "green",
    "settled": "green",
    "rejected": "red",
    "closed": "grey",
    "withdrawn": "grey",
}


@register.inclusion_tag("includes/status_badge.html")
def status_badge(complaint):
    return {
        "family": STATUS_FAMILIES.get(complaint.status, "grey"),
        "label": complaint.get_status_display(),
    }


@register.inclusion_tag("includes/deadline_chip.html")
def deadline_chip(moment, now=None):
    """Relative and absolute time; urgent under 24 hours; overdue once past."""
    if moment is None:
        return {"moment": None}
    now = now or timezone.now()
    remaining = moment - now
    return {
        "moment": moment,
        "overdue": remaining.total_seconds() <= 0,
        "urgent": timedelta(0) < remaining < timedelta(hours=24),
        "days": remaining.days,
        "hours": remaining.seconds // 3600,
        "minutes": (remaining.seconds % 3600) // 60,
    }
