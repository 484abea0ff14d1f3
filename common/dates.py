"""One way to write a moment for people, in every language: the language's own date and
time format (`DATETIME_FORMAT`), in the platform's time zone (Beijing time)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

PLATFORM_TIME = ZoneInfo("Asia/Shanghai")


def local_datetime(moment: datetime) -> str:
    return date_format(timezone.localtime(moment, PLATFORM_TIME), "DATETIME_FORMAT")
