"""The decision target counts working days: Monday to Friday in China, less holidays."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from disputes import selectors
from disputes.models import DeadlinePolicy, Holiday
from disputes.working_days import add_working_days, working_days_taken
from tests.factories import DeadlinePolicyFactory

CHINA = ZoneInfo("Asia/Shanghai")


def _at(day: str, time: str = "15:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=CHINA)


# 2026-11-23 is a Monday.
@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-11-23", "2026-11-27"),  # Monday → Friday
        ("2026-11-26", "2026-12-02"),  # Thursday → Wednesday
        ("2026-11-27", "2026-12-03"),  # Friday → Thursday
        ("2026-11-28", "2026-12-03"),  # Saturday → Thursday
        ("2026-11-29", "2026-12-03"),  # Sunday → Thursday
    ],
)
def test_four_working_days_skip_the_weekend(start, expected):
    assert add_working_days(_at(start), 4, set()) == _at(expected)


def test_the_time_of_day_is_kept():
    assert add_working_days(_at("2026-11-27", "09:31"), 4, set()) == _at("2026-12-03", "09:31")


def test_zero_working_days_is_the_start_itself():
    assert add_working_days(_at("2026-11-28"), 0, set()) == _at("2026-11-28")


def test_a_holiday_is_not_a_working_day():
    holidays = {date(2026, 12, 1)}  # the Tuesday after
    assert add_working_days(_at("2026-11-27"), 4, holidays) == _at("2026-12-04")


def test_a_holiday_on_a_weekend_changes_nothing():
    assert add_working_days(_at("2026-11-27"), 4, {date(2026, 11, 28)}) == _at("2026-12-03")


def test_the_national_day_week_is_skipped_whole():
    golden_week = {date(2026, 10, d) for d in range(1, 8)}
    # Wednesday 30 September: Thursday 1 – Wednesday 7 October are holidays.
    assert add_working_days(_at("2026-09-30"), 4, golden_week) == _at("2026-10-13")


def test_days_are_counted_in_china_time_whatever_the_zone_of_the_start():
    # Friday 17:00 UTC is already Saturday 01:00 in Shanghai.
    start = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    due = add_working_days(start, 1, set())
    assert due == _at("2026-11-30", "01:00")  # Monday in Shanghai, not Monday 17:00 UTC
    assert due.utcoffset() == timedelta(hours=8)


@pytest.mark.django_db
def test_the_decision_target_reads_the_holidays_and_the_policy_in_force():
    friday = _at("2026-11-27")
    assert selectors.decision_due(friday) == _at("2026-12-03")
    Holiday.objects.create(date=date(2026, 12, 1), name="测试假日")
    assert selectors.decision_due(friday) == _at("2026-12-04")
    DeadlinePolicyFactory(effective_from=_at("2026-11-27", "00:00"), decision_working_days=2)
    assert selectors.decision_due(friday) == _at("2026-12-02")
    # A moment before the new policy, the old one (4 days) applies.
    assert selectors.decision_due(_at("2026-11-26")) == _at("2026-12-03")


@pytest.mark.django_db
def test_the_default_target_is_4_working_days():
    assert DeadlinePolicy().decision_working_days == 4


# The working days a step took, counted as the target counts them.
@pytest.mark.parametrize(
    ("start", "end", "taken"),
    [
        (("2026-11-23", "15:00"), ("2026-11-23", "15:00"), 0),  # at once
        (("2026-11-23", "15:00"), ("2026-11-23", "16:00"), 1),  # within the first day
        (("2026-11-23", "15:00"), ("2026-11-24", "15:00"), 1),  # exactly one day later
        (("2026-11-23", "15:00"), ("2026-11-24", "15:01"), 2),
        (("2026-11-27", "15:00"), ("2026-11-28", "12:00"), 1),  # Friday → Saturday
        (("2026-11-27", "15:00"), ("2026-12-03", "15:00"), 4),  # over the weekend
        (("2026-11-28", "10:00"), ("2026-11-30", "09:00"), 1),  # escalated on a Saturday
    ],
)
def test_working_days_taken_counts_as_the_target_does(start, end, taken):
    assert working_days_taken(_at(*start), _at(*end), set()) == taken


def test_working_days_taken_skips_a_holiday():
    holidays = {date(2026, 12, 1)}  # the Tuesday after
    assert working_days_taken(_at("2026-11-27"), _at("2026-12-04"), holidays) == 4
    assert working_days_taken(_at("2026-11-27"), _at("2026-12-04"), set()) == 5
