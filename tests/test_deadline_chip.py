"""The deadline chip: the time left, urgent under a day, overdue once past; and the same
chip whether rendered with the page or filled into a cached page at the view."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from common import pagecache
from deposit_claims.templatetags import ui


@pytest.fixture
def now():
    return timezone.now()


@pytest.mark.parametrize(
    ("left", "css", "text"),
    [
        (timedelta(days=2, hours=3, minutes=5), "chip", "2 days 3 hours left"),
        (timedelta(hours=5, minutes=30), "chip chip-urgent", "5 hours left"),
        (timedelta(minutes=42, seconds=10), "chip chip-urgent", "42 minutes left"),
        (timedelta(0), "chip chip-urgent", "overdue"),
        (-timedelta(hours=3), "chip chip-urgent", "overdue"),
    ],
)
def test_a_chip_says_the_time_left_and_turns_urgent_under_a_day(now, left, css, text):
    with translation.override("en"):
        chip = ui.deadline_chip_html(now + left, now)
    assert chip.startswith(f'<span class="{css}"><time datetime="')
    assert chip.endswith(f" · {text}</span>")


def test_a_chip_escapes_what_the_catalogue_says(now):
    with mock.patch.object(ui, "gettext", return_value='<b>"late"</b>'):
        chip = ui.deadline_chip_html(now - timedelta(hours=1), now)
    assert "<b>" not in chip
    assert "&lt;b&gt;&quot;late&quot;&lt;/b&gt;" in chip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_cached_page_shows_the_chip_the_page_would_have_rendered(now, language):
    moments = [now + timedelta(hours=hours, minutes=7) for hours in (-2, 3, 30, 100)]
    with translation.override(language):
        fresh = "".join(ui.deadline_chip_html(moment, now) for moment in moments)
        cached = "".join(
            pagecache.deadline_placeholder(moment, ui.deadline_time_html(moment))
            for moment in moments
        )
        with mock.patch.object(timezone, "now", return_value=now):
            filled = pagecache._fill(cached, RequestFactory().get("/"))
    assert filled == fresh
