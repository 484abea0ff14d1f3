"""The dashboard's figures, read from the database in a fixed number of queries.

Every figure covers the same period: the current ISO week (Monday to Sunday in the
platform's time zone, Asia/Shanghai) so far and the 12 full weeks before it. Counts and
sums are grouped by week in the database; only the decision times are worked out in
Python, because working days depend on the holidays table, from one row per complaint
decided in the period.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from common import effective
from deposits.models import DepositAccount, LedgerEntry
from disputes.deadlines import DECIDING
from disputes.models import Complaint, Decision, Holiday
from disputes.selectors import LIVE_STATUSES, deadline_policy
from disputes.working_days import working_days_taken
from merchants.models import Merchant

WEEKS = 13  # the current week and the 12 full weeks before it
TOP_STORES = 10
STORES_LISTED = 10
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    weeks: list[date]  # the Mondays, oldest first
    start: datetime  # Monday 00:00 of the first week, platform time
    end: datetime  # Monday 00:00 after the current week

    @property
    def last_day(self) -> date:
        return self.weeks[-1] + timedelta(days=6)

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def period_until(now: datetime) -> Period:
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    this_monday = today - timedelta(days=today.weekday())
    weeks = [this_monday - timedelta(weeks=back) for back in range(WEEKS - 1, -1, -1)]
    return Period(weeks=weeks, start=_midnight(weeks[0]), end=_midnight(this_monday + timedelta(7)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _monday(week_start) -> date:
    """TruncWeek gives a platform-time datetime (a date on some backends): its Monday."""
    if isinstance(week_start, datetime):
        return timezone.localtime(week_start, timezone.get_default_timezone()).date()
    return week_start


def _per_week(queryset, moment: str, period: Period, **aggregate) -> dict[date, dict]:
    """One GROUP BY week query: {monday: {name: value}} for the weeks that have rows."""
    rows = (
        queryset.filter(period.within(moment))
        .annotate(week=TruncWeek(moment, tzinfo=timezone.get_default_timezone()))
        .values("week")
        .annotate(**aggregate)
        .order_by()
    )
    return {_monday(row.pop("week")): row for row in rows}


# --- 1. complaints filed, escalated, decided and paid per week ---------------------------


@dataclass(frozen=True)
class WeeklyFlow:
    """Each list has one number per week of the period, oldest first."""

    filed: list[int]
    escalated: list[int]
    decided: list[int]
    paid: list[int]


def _counts(queryset, moment: str, period: Period) -> list[int]:
    found = _per_week(queryset, moment, period, n=Count("pk"))
    return [found.get(monday, {}).get("n", 0) for monday in period.weeks]


def final_decisions(period: Period):
    """Decisions that took effect in the period: when the reviewer decided, or, for an award
    that needed approval, when a senior reviewer approved it (the decision target runs
    until then: a case waiting for approval can still be flagged overdue)."""
    return (
        Decision.objects.filter(status=Decision.Status.FINAL)
        .annotate(took_effect_at=Coalesce("approved_at", "decided_at"))
        .filter(period.within("took_effect_at"))
    )


# --- 2. decision time in working days ----------------------------------------------------


def percentile(values: list[int], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont:
    for 1, 2, 3, 4, 9 the median is 3 and the 90th percentile 4 + 0.6 × (9 − 4) = 7."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class DecisionTimes:
    """Per week of the decision, oldest first: the median and 90th percentile of the working
    days from escalation to decision (None in a week without decisions)."""

    median: list[float | None]
    p90: list[float | None]
    target: int
    decided: list[int]


def decision_times(period: Period, now: datetime) -> DecisionTimes:
    holidays = {holiday.date for holiday in effective.rows(Holiday, order_by="date")}
    taken = defaultdict(list)
    rows = final_decisions(period).values_list("complaint__escalated_at", "took_effect_at")
    for escalated_at, decided_at in rows.iterator():
        monday = timezone.localtime(decided_at, timezone.get_default_timezone()).date()
        monday -= timedelta(days=monday.weekday())
        taken[monday].append(working_days_taken(escalated_at, decided_at, holidays))
    return DecisionTimes(
        median=[percentile(taken[monday], 0.5) for monday in period.weeks],
        p90=[percentile(taken[monday], 0.9) for monday in period.weeks],
        target=deadline_policy(now).decision_working_days,
        decided=[len(taken[monday]) for monday in period.weeks],
    )


def weekly_flow(period: Period, times: DecisionTimes) -> WeeklyFlow:
    """Filed by filing time, escalated by (latest) escalation time, paid by payment time;
    decided as counted for the decision times, so that both figures agree."""
    complaints = Complaint.objects.all()
    return WeeklyFlow(
        filed=_counts(complaints, "created_at", period),
        escalated=_counts(complaints, "escalated_at", period),
        decided=times.decided,
        paid=_counts(complaints, "paid_at", period),
    )


# --- 3. the stores with the most escalations ---------------------------------------------


@dataclass(frozen=True)
class StoreShare:
    merchant_id: int
    name: str
    escalations: int
    share: float  # percent of all escalations in the period


def top_escalated_stores(period: Period, all_escalations: int) -> list[StoreShare]:
    rows = (
        Complaint.objects.filter(period.within("escalated_at"))
        .values("merchant_id", "merchant__name")
        .annotate(escalations=Count("pk"))
        .order_by("-escalations", "merchant__name")[:TOP_STORES]
    )
    return [
        StoreShare(
            merchant_id=row["merchant_id"],
            name=row["merchant__name"],
            escalations=row["escalations"],
            share=100 * row["escalations"] / all_escalations,
        )
        for row in rows
    ]


# --- 4. money paid out of deposits -------------------------------------------------------


def paid_from_deposits(period: Period) -> list[Decimal]:
    """Yuan paid to consumers out of merchants' deposits, per week of the payout.

    Read from the ledger's claim-payout entries, not from disbursements: a disbursement
    also carries what the platform advanced when the deposit fell short (posted as a
    separate arrears entry) and is dated by when finance sends it, while the payout
    entry's balance change is exactly what left the deposit, when it left.
    """
    found = _per_week(
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CLAIM_PAYOUT),
        "created_at",
        period,
        balance_change=Sum("balance_delta"),
    )
    return [ZERO - found.get(monday, {}).get("balance_change", ZERO) for monday in period.weeks]


# --- 5. restricted stores and stores below their required deposit ------------------------


@dataclass(frozen=True)
class StoreList:
    count: int
    stores: list  # at most STORES_LISTED


def restricted_stores() -> StoreList:
    restricted = Merchant.objects.filter(status=Merchant.Status.RESTRICTED)
    listed = restricted.select_related("deposit_account").order_by("name")[:STORES_LISTED]
    return StoreList(count=restricted.count(), stores=list(listed))


def stores_below_required() -> StoreList:
    """Accounts with an open top-up notice: deposits.services keeps `top_up_amount_due`
    equal to required − balance + arrears whenever money, policy or store facts change,
    and clears it once the store is covered; the earliest top-up deadline first."""
    short = DepositAccount.objects.filter(top_up_amount_due__gt=0)
    listed = short.select_related("merchant").order_by("top_up_due_by", "merchant__name")
    return StoreList(count=short.count(), stores=list(listed[:STORES_LISTED]))


# --- 6. reviewers' workload --------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    reviewer_id: int
    name: str
    open: int  # assigned and still live (not settled, paid, rejected, withdrawn or closed)
    overdue: int  # of those, still waiting for a decision past the target


def reviewer_workload() -> list[Workload]:
    rows = (
        Complaint.objects.filter(assigned_reviewer__isnull=False, status__in=LIVE_STATUSES)
        .values(
            "assigned_reviewer_id",
            "assigned_reviewer__display_name",
            "assigned_reviewer__username",
        )
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(decision_overdue=True, status__in=DECIDING)),
        )
        .order_by("-overdue", "-open", "assigned_reviewer__username")
    )
    return [
        Workload(
            reviewer_id=row["assigned_reviewer_id"],
            name=row["assigned_reviewer__display_name"] or row["assigned_reviewer__username"],
            open=row["open"],
            overdue=row["overdue"],
        )
        for row in rows
    ]
