"""One way to write a moment for people, in every language: the language's own date and
time format (`DATETIME_FORMAT`), in the platform's time zone (Beijing time)."""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format

PLATFORM_TIME = ZoneInfo("Asia/Shanghai")

# The numeric parts of a format, written as Django's DateFormat writes them.
_NUMBERS: dict[str, Callable[[datetime], str]] = {
    "Y": lambda moment: f"{moment.year:04d}",
    "y": lambda moment: f"{moment.year % 100:02d}",
    "m": lambda moment: f"{moment.month:02d}",
    "n": lambda moment: str(moment.month),
    "d": lambda moment: f"{moment.day:02d}",
    "j": lambda moment: str(moment.day),
    "H": lambda moment: f"{moment.hour:02d}",
    "G": lambda moment: str(moment.hour),
    "i": lambda moment: f"{moment.minute:02d}",
    "s": lambda moment: f"{moment.second:02d}",
}


@cache
def _parts(format_string: str) -> tuple[tuple[bool, str], ...]:
    """The format split once, as Django splits it at every call: (is a specifier, text)."""
    parts = []
    for i, piece in enumerate(re_formatchars.split(format_string)):
        if i % 2:
            parts.append((True, piece))
        elif piece:
            parts.append((False, re_escaped.sub(r"\1", piece)))
    return tuple(parts)


def format_moment(moment: datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """`django.utils.formats.date_format(moment, format_name)`, the same text, without
    parsing the format again for every moment: a list of twenty deadlines formats twenty.
    Names of months and days, and every other part, are Django's own."""
    written = []
    django_format = None
    for is_specifier, text in _parts(str(get_format(format_name))):
        if not is_specifier:
            written.append(text)
        elif number := _NUMBERS.get(text):
            written.append(number(moment))
        else:
            django_format = django_format or DateFormat(moment)
            written.append(str(getattr(django_format, text)()))
    return "".join(written)


def local_datetime(moment: datetime) -> str:
    return format_moment(timezone.localtime(moment, PLATFORM_TIME))
