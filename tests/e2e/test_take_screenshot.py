"""The browser tests' screenshots survive chromium's one-off capture refusal, nothing else."""

import pytest
from playwright.sync_api import Error

from tests.e2e.conftest import SCREENSHOT_ATTEMPTS, take_screenshot

REFUSAL = "Protocol error (Page.captureScreenshot): Unable to capture screenshot"


class PageRefusingCaptures:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.captures = []
        self.waits = []

    def screenshot(self, path, full_page):
        self.captures.append((path, full_page))
        if self.errors:
            raise self.errors.pop(0)
        return b"png"

    def wait_for_timeout(self, milliseconds):
        self.waits.append(milliseconds)


def test_a_refused_capture_is_asked_for_again_and_saved(tmp_path):
    page = PageRefusingCaptures(Error(REFUSAL))

    assert take_screenshot(page, tmp_path / "page.png") == b"png"

    assert page.captures == [(tmp_path / "page.png", True)] * 2
    assert len(page.waits) == 1


def test_a_capture_refused_every_time_fails_the_test(tmp_path):
    page = PageRefusingCaptures(*[Error(REFUSAL)] * SCREENSHOT_ATTEMPTS)

    with pytest.raises(Error, match="Unable to capture screenshot"):
        take_screenshot(page, tmp_path / "page.png")

    assert len(page.captures) == SCREENSHOT_ATTEMPTS


def test_any_other_browser_error_fails_at_once(tmp_path):
    page = PageRefusingCaptures(Error("Target page, context or browser has been closed"))

    with pytest.raises(Error, match="has been closed"):
        take_screenshot(page, tmp_path / "page.png")

    assert len(page.captures) == 1
    assert page.waits == []
