"""Presentation helpers shared by every face of the product."""

import html
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import dateformat, formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from common import pagecache, recorded_text

register = template.Library()
register.filter("readable", recorded_text.readable)


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


@register.simple_tag
def status_badge(complaint):
    """Built in Python: a list renders one per row, and a sub-template each costs more."""
    return format_html(
        '<span class="badge badge-{}">{}</span>',
        STATUS_FAMILIES.get(complaint.status, "grey"),
        complaint.get_status_display(),
    )


@register.simple_tag(takes_context=True)
def deadline_chip(context, moment):
    """Relative and absolute time; urgent under 24 hours; overdue once past. A page being
    cached gets a placeholder, filled at each view (common.pagecache): time moves on."""
    if not moment:  # None, or "" for a variable the template could not resolve
        return ""
    request = context.get("request")
    if request is not None and pagecache.rendering_for_cache(request):
        return pagecache.deadline_placeholder(moment, deadline_time_html(moment))
    return deadline_chip_html(moment, timezone.now())


def deadline_time_html(moment) -> str:
    """The absolute part of a chip, the same at every view."""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}">{}</time>',
        dateformat.format(local, "c"),
        formats.date_format(local, "DATETIME_FORMAT"),
    )


def deadline_chip_html(moment, now, time_html=None) -> str:
    """The chip at `now`; `time_html`: its absolute part, when already rendered. Joined by
    hand, not by format_html: a cached page fills one per row at every view."""
    remaining = moment - now
    overdue = remaining.total_seconds() <= 0
    urgent = timedelta(0) < remaining < timedelta(hours=24)
    days, hours, minutes = (
        remaining.days,
        remaining.seconds // 3600,
        (remaining.seconds % 3600) // 60,
    )
    if overdue:
        left = gettext("overdue")
    elif days:
        left = " ".join(
            [
                ngettext("%(days)s day", "%(days)s days", days) % {"days": days},
                ngettext("%(hours)s hour left", "%(hours)s hours left", hours) % {"hours": hours},
            ]
        )
    elif hours:
        left = ngettext("%(hours)s hour left", "%(hours)s hours left", hours) % {"hours": hours}
    else:
        left = ngettext("%(minutes)s minute left", "%(minutes)s minutes left", minutes) % {
            "minutes": minutes
        }
    css = "chip chip-urgent" if overdue or urgent else "chip"
    time_html = time_html or deadline_time_html(moment)
    return mark_safe(f'<span class="{css}">{time_html} · {html.escape(left)}</span>')  # noqa: S308
