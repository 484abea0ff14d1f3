"""Presentation helpers shared by every face of the product."""

import html
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django import template
from django.template.base import render_value_in_context
from django.template.defaulttags import querystring
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from common import pagecache, recorded_text
from common.dates import format_moment

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


@register.filter(expects_localtime=True)
def moment(value, format_name="DATETIME_FORMAT"):
    """`{{ when|moment }}`: as `{{ when|date:"DATETIME_FORMAT" }}` writes it
    (common.dates.format_moment), nothing for no moment."""
    if value in (None, ""):
        return ""
    return format_moment(value, format_name)


@register.simple_tag
def status_badge(complaint):
    """Built in Python: a list renders one per row, and a sub-template each costs more."""
    return format_html(
        '<span class="badge badge-{}">{}</span>',
        STATUS_FAMILIES.get(complaint.status, "grey"),
        complaint.get_status_display(),
    )


@register.simple_tag(takes_context=True)
def field_row(context, field):
    """A form field with its label, mark of required, widget, help and errors, joined here:
    as an included template each cost about two thirds of what its widget costs. Every
    value goes through `render_value_in_context`, as `{{ … }}` does."""

    def shown(value) -> str:
        return render_value_in_context(value, context)

    errors = field.errors
    label_for = shown(field.id_for_label)
    required = ' <span class="required" aria-hidden="true">*</span>' if field.field.required else ""
    help_text = (
        f'<p class="help" id="{label_for}_help">{shown(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    error_lines = "".join(f'<p class="field-error">{shown(error)}</p>' for error in errors)
    return mark_safe(  # noqa: S308 - every value above is shown as `{{ … }}` shows it
        f'<div class="field{" field-invalid" if errors else ""}">\n'
        f'  <label for="{label_for}">{shown(field.label)}{required}</label>\n'
        f"  {shown(field)}\n"
        f"  {help_text}\n"
        f"  {error_lines}\n"
        "</div>\n"
    )


@register.simple_tag(takes_context=True)
def status_links(context, current, statuses):
    """The status filter's links (disputes/complaint_search.html), joined here: as a
    template loop, with a `querystring` per status, they cost a list page 7% of its time.
    Each link keeps the rest of the query and leaves the page number out."""

    def link(status, label, chosen: bool) -> str:
        href = html.escape(querystring(context, status=status, page=None))
        current_mark = 'aria-current="true"' if chosen else ""
        return f'<a href="{href}" {current_mark}>{html.escape(str(label))}</a>'

    links = "".join(link(value, label, value == current) for value, label in statuses)
    everything = link(None, gettext("All"), not current)
    return mark_safe(f"{everything}\n  {links}")  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def deadline_chip(context, moment):
    """Relative and absolute time; urgent under 24 hours; overdue once past. A page being
    cached gets a placeholder, filled at each view (common.pagecache): time moves on."""
    if not moment:  # None, or "" for a variable the template could not resolve
        return ""
    return _chip(context.get("request"), moment, timezone.now())


def _chip(request, moment, now) -> str:
    if request is not None and pagecache.rendering_for_cache(request):
        return pagecache.deadline_placeholder(moment, deadline_time_html(moment))
    return deadline_chip_html(moment, now)


# The complaint's page in each list; its number takes this placeholder's place.
_NUMBER = "TS0"


@register.simple_tag(takes_context=True)
def complaint_rows(context, complaints, url_name):
    """The rows of a list of complaints (disputes/complaint_table.html), each joined here:
    a list renders twenty, and a template node per cell costs more than the whole row.
    Each cell names its column for the phone layout, which stacks the cells."""
    request = context.get("request")
    now = timezone.now()
    link = reverse(url_name, args=[_NUMBER])
    before, after = link[: link.index(_NUMBER)], link[link.index(_NUMBER) + len(_NUMBER) :]
    labels = [
        html.escape(gettext(label))
        for label in ("Complaint", "Order", "Status", "Deadline", "Claimed")
    ]
    rows = []
    for complaint in complaints:
        number = html.escape(complaint.number)
        chip = _chip(request, complaint.due_at, now) if complaint.due_at else "—"
        rows.append(
            f'<tr><td data-label="{labels[0]}"><a href="{before}{quote(complaint.number)}'
            f'{after}"><strong>{html.escape(complaint.get_kind_display())}</strong></a><br>'
            f'<span class="muted mono">{number}</span></td>'
            f'<td data-label="{labels[1]}">{html.escape(complaint.order.item_title)}</td>'
            f'<td data-label="{labels[2]}">{status_badge(complaint)}</td>'
            f'<td data-label="{labels[3]}">{chip}</td>'
            f'<td data-label="{labels[4]}" class="num money">{money(complaint.claimed_amount)}'
            "</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


def deadline_time_html(moment) -> str:
    """The absolute part of a chip, the same at every view."""
    local = timezone.localtime(moment)
    # local.isoformat(): what the "c" format gives, without the format parser.
    return f'<time datetime="{local.isoformat()}">{html.escape(format_moment(local))}</time>'


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
