"""The decision target counts working days: Monday to Friday, less public holidays."""

from datetime import date, datetime, timedelta

from django.utils import timezone


def add_working_days(start: datetime, days: int, holidays: set[date]) -> datetime:
    """The same local time of day, `days` working days after `start` (Asia/Shanghai)."""
    moment = timezone.localtime(start)
    for _day in range(days):
        moment = _next_working_day(moment, holidays)
    return moment


def working_days_taken(start: datetime, end: datetime, holidays: set[date]) -> int:
    """The fewest working days N with `end` no later than add_working_days(start, N): how the
    4-working-day target counts, so a step taken in N ≤ 4 working days met the target."""
    moment = timezone.localtime(start)
    taken = 0
    while moment < end:
        moment = _next_working_day(moment, holidays)
        taken += 1
    return taken


def _next_working_day(moment: datetime, holidays: set[date]) -> datetime:
    """The same local time on the next day that is neither a weekend day nor a holiday."""
    moment += timedelta(days=1)
    while moment.weekday() >= 5 or moment.date() in holidays:
        moment += timedelta(days=1)
    return moment
