"""Browser tests: Playwright driving Debian's chromium, never a downloaded browser."""

import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"E2E_REQUIRED is set but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-wqy-microhei")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, reference_data, live_server):
    """A new page at a viewport and language; `shot(name)` saves a screenshot to look at."""
    contexts, console_errors = [], []

    def open_(language="zh-hans", viewport=DESKTOP):
        context = browser.new_context(
            viewport=viewport, locale="zh-CN" if language == "zh-hans" else "en-US"
        )
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        # A script or style the Content-Security-Policy refuses shows here, as any error.
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and console_errors.append(f"{page.url}: {message.text} {message.location}")
            ),
        )
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))

        def shot(name):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            width = "phone" if viewport == PHONE else "desktop"
            take_screenshot(page, SCREENSHOTS / f"{name}-{language}-{width}.png")

        page.shot = shot
        return page

    yield open_
    for context in contexts:
        context.close()
    assert console_errors == [], "\n".join(console_errors)


CHROMIUM_REFUSED_CAPTURE = "Unable to capture screenshot"
SCREENSHOT_ATTEMPTS = 3


def take_screenshot(page, path):
    """A full-page screenshot, asked for again when chromium refuses one capture.

    Chromium now and then answers a capture with "Unable to capture screenshot" and takes
    the same picture when asked a moment later; a screenshot is for people to look at, so
    that hiccup must not fail the behaviour the test checks. Any other error still does.
    """
    from playwright.sync_api import Error

    for attempt in range(1, SCREENSHOT_ATTEMPTS + 1):
        try:
            return page.screenshot(path=path, full_page=True)
        except Error as error:
            if CHROMIUM_REFUSED_CAPTURE not in error.message or attempt == SCREENSHOT_ATTEMPTS:
                raise
            page.wait_for_timeout(200 * attempt)


def log_in(page, username, password):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()


def log_in_to_console(page, user, password):
    """Both steps of a console login: the password, then the authenticator app's code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.login import app_code

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "authenticator"}
    )
    log_in(page, user.username, password)
    page.fill("#id_code", app_code(device))
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()


@dataclass
class Parties:
    consumer: object
    seller: object
    order: object


@pytest.fixture
def parties(reference_data):
    """A consumer and a store owner who log in with the demo password, and a ¥899 order."""
    from tests.factories import (
        ConsumerFactory,
        DepositAccountFactory,
        MerchantMemberFactory,
        OrderFactory,
    )

    account = DepositAccountFactory(paid_in=Decimal("50000.00"))
    seller = MerchantMemberFactory(
        merchant=account.merchant,
        role="owner",
        user__username="seller@example.com",
        user__password=DEMO_PASSWORD,
    ).user
    consumer = ConsumerFactory(
        username="buyer@example.com", password=DEMO_PASSWORD, display_name="李娜"
    )
    paid = timezone.now() - timedelta(days=8)
    order = OrderFactory(
        consumer=consumer,
        merchant=account.merchant,
        item_title="无线降噪耳机",
        goods_amount=Decimal("899.00"),
        postage=Decimal("12.00"),
        paid_at=paid,
        shipped_at=paid + timedelta(hours=20),
        delivered_at=paid + timedelta(days=3),
        completed_at=paid + timedelta(days=5),
    )
    return Parties(consumer, seller, order)
