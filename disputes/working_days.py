"""The decision target counts working days: Monday to Friday, less public holidays."""

from datetime import date, datetime, timedelta

from django.utils import timezone


def add_working_days(start: datetime, days: int, holidays: set[date]) -> datetime:
    """The same local time of day, `days` working days after `start` (Asia/Shanghai)."""
    moment = timezone.localtime(start)
    remaining = days
    while remaining:
        moment += timedelta(days=1)
        if moment.weekday() < 5 and moment.date() not in holidays:
            remaining -= 1
    return moment
