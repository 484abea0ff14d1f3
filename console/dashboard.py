"""The senior reviewers' dashboard: how complaints, decisions, payouts, stores and the
reviewers' workload went over the last 13 weeks, charted as inline SVG.

Open to senior reviewers and superusers (ConsoleSite wires it at /admin/dashboard/ behind
admin_view, so only a console user past both login steps reaches the check here).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.roles import SENIOR_REVIEWERS, has_role
from console import charts
from console import dashboard_figures as figures
from console.charts import Series
from deposit_claims.templatetags.ui import money


def can_view_dashboard(user) -> bool:
    return user.is_superuser or has_role(user, SENIOR_REVIEWERS)


def dashboard_view(request):
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    now = timezone.now()
    period = figures.period_until(now)
    times = figures.decision_times(period, now)
    flow = figures.weekly_flow(period, times)
    paid = figures.paid_from_deposits(period)
    stores = figures.top_escalated_stores(period, sum(flow.escalated))
    workload = figures.reviewer_workload()
    # Short labels under the columns; the tables give each week's Monday in full.
    ticks = [format_date(monday, "n/j") for monday in period.weeks]
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "period": period,
        "flow": _flow_figure(flow, ticks),
        "flow_rows": _rows(period.weeks, flow.filed, flow.escalated, flow.decided, flow.paid),
        "escalations": sum(flow.escalated),
        "times": _times_figure(times, ticks),
        "times_rows": _rows(period.weeks, times.decided, times.median, times.p90),
        "target": times.target,
        "stores": stores,
        "stores_chart": _stores_chart(stores),
        "paid": _paid_figure(paid, ticks),
        "paid_rows": _rows(period.weeks, paid),
        "paid_total": sum(paid),
        "restricted": figures.restricted_stores(),
        "below_required": figures.stores_below_required(),
        "workload": workload,
        "workload_figure": _workload_figure(workload),
    }
    return TemplateResponse(request, "console/dashboard.html", context)


def _flow_figure(flow: figures.WeeklyFlow, ticks) -> dict:
    series = [
        Series(pgettext_lazy("complaints per week", "Filed"), flow.filed, "filed"),
        Series(_("Escalated"), flow.escalated, "escalated"),
        Series(_("Decided"), flow.decided, "decided"),
        Series(_("Paid"), flow.paid, "paid"),
    ]
    chart = charts.column_chart(
        chart_id="chart-flow",
        title=_("Complaints per week"),
        description=_(
            "Complaints filed, escalated to the platform, decided and paid in each week; "
            "the numbers are in the table under the chart."
        ),
        categories=ticks,
        series=series,
        axis_label=_("Complaints"),
    )
    return {"chart": chart, "series": series}


def _times_figure(times: figures.DecisionTimes, ticks) -> dict:
    series = [
        Series(_("Median"), times.median, "median", _days(times.median)),
        Series(_("90th percentile"), times.p90, "p90", _days(times.p90)),
    ]
    target_label = ngettext(
        "Target: %(days)s working day", "Target: %(days)s working days", times.target
    ) % {"days": times.target}
    chart = charts.line_chart(
        chart_id="chart-times",
        title=_("Decision time in working days"),
        description=_(
            "The median and the 90th percentile of the working days from escalation to "
            "decision, for the complaints decided in each week, against the target; the "
            "numbers are in the table under the chart."
        ),
        categories=ticks,
        series=series,
        axis_label=_("Working days"),
        target=times.target,
        target_label=target_label,
    )
    return {"chart": chart, "series": series, "target_label": target_label}


def _stores_chart(stores: list[figures.StoreShare]):
    if not stores:
        return None
    return charts.bar_rows(
        chart_id="chart-stores",
        title=_("Stores with the most escalations"),
        description=_(
            "Escalations of each store in the period and its share of all escalations; "
            "the numbers are in the table under the chart."
        ),
        labels=[store.name for store in stores],
        series=[
            Series(
                _("Escalations"),
                [store.escalations for store in stores],
                "escalated",
                [f"{store.escalations} · {store.share:.1f}%" for store in stores],
            )
        ],
    )


def _paid_figure(paid, ticks) -> dict:
    series = [Series(_("Paid from deposits"), paid, "paid", [money(amount) for amount in paid])]
    chart = charts.column_chart(
        chart_id="chart-paid",
        title=_("Paid from deposits per week"),
        description=_(
            "Yuan paid to consumers out of merchants' deposits in each week; the amounts "
            "are in the table under the chart."
        ),
        categories=ticks,
        series=series,
        axis_label=_("Yuan"),
        tick_text=lambda tick: f"¥{tick:,}",
    )
    return {"chart": chart, "series": series}


def _workload_figure(workload: list[figures.Workload]):
    if not workload:
        return None
    series = [
        Series(_("Open cases"), [row.open for row in workload], "open"),
        Series(_("Overdue"), [row.overdue for row in workload], "overdue"),
    ]
    chart = charts.bar_rows(
        chart_id="chart-workload",
        title=_("Reviewers' workload"),
        description=_(
            "Open cases assigned to each reviewer and how many of them wait for a decision "
            "past the target; the numbers are in the table under the chart."
        ),
        labels=[row.name for row in workload],
        series=series,
    )
    return {"chart": chart, "series": series}


def _rows(weeks, *columns) -> list[tuple]:
    """The rows of a figure's data table: a week, then its value in each column."""
    return list(zip(weeks, *columns, strict=True))


def _days(values) -> list[str]:
    return ["—" if value is None else f"{value:.1f}".removesuffix(".0") for value in values]
