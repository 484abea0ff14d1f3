"""`common.dates.format_moment` writes a moment exactly as Django's `date_format` does, in
every language the platform speaks and for every part a format can have."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import engines
from django.utils import translation
from django.utils.formats import date_format

from common.dates import PLATFORM_TIME, format_moment, local_datetime

FORMAT_NAMES = ("DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT")
# Every part a format of a moment can name, and escaped letters written as they are.
EVERY_PART = r"a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T U u w W y Y z Z \Y\e\s"
MOMENTS = [
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=PLATFORM_TIME),
    datetime(2026, 11, 29, 0, 0, 0, tzinfo=PLATFORM_TIME),
    datetime(2026, 12, 31, 12, 0, 59, 123456, tzinfo=PLATFORM_TIME),
    datetime(999, 7, 9, 23, 59, tzinfo=ZoneInfo("UTC")),
    datetime(2024, 2, 29, 9, 30, tzinfo=UTC),
]


@pytest.fixture(params=[code for code, _name in settings.LANGUAGES])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.mark.parametrize("format_name", FORMAT_NAMES)
def test_each_named_format_is_written_as_django_writes_it(language, format_name):
    for moment in MOMENTS:
        assert format_moment(moment, format_name) == date_format(moment, format_name)


def test_every_part_of_a_format_is_written_as_django_writes_it(language):
    for moment in MOMENTS:
        assert format_moment(moment, EVERY_PART) == date_format(moment, EVERY_PART)


def test_a_moment_is_written_in_the_readers_language_and_beijing_time():
    moment = datetime(2026, 3, 1, 16, 5, tzinfo=UTC)
    with translation.override("zh-hans"):
        assert local_datetime(moment) == "2026年3月2日 00:05"
    with translation.override("en"):
        assert local_datetime(moment) == "2 Mar 2026, 00:05"
        assert local_datetime(moment + timedelta(days=31)) == "2 Apr 2026, 00:05"


def test_the_moment_filter_writes_as_the_date_filter_in_the_pages_time_zone(language):
    template = engines["django"].from_string(
        '{% load ui %}{{ when|moment }}|{{ when|date:"DATETIME_FORMAT" }}|{{ none|moment }}|'
        '{{ when|moment:"SHORT_DATE_FORMAT" }}|{{ when|date:"SHORT_DATE_FORMAT" }}'
    )
    for moment in MOMENTS:
        ours, django_s, nothing, ours_short, django_short = template.render(
            {"when": moment, "none": None}
        ).split("|")
        assert (ours, ours_short, nothing) == (django_s, django_short, "")
