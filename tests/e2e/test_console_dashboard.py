"""The senior reviewers' dashboard in a real browser: it opens after both login steps, its
charts show at a phone and a desktop width in both languages, and nothing breaks the
Content-Security-Policy (open_page fails the test on any console error)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD
from tests.console.builders import busy_platform
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import SeniorReviewerFactory
from tests.login import app_code

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def log_in_to_console(page, user):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    log_in(page, user.username, DEMO_PASSWORD)
    assert "/accounts/two-factor/" in page.url
    page.fill("#id_code", app_code(device))
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_senior_reviewer_reads_the_dashboard(open_page, language, viewport):
    busy_platform(60)
    senior = SeniorReviewerFactory(username="senior@example.com", password=DEMO_PASSWORD)
    page = open_page(language, viewport)
    log_in_to_console(page, senior)

    page.click("#console-dashboard-link a")
    page.wait_for_load_state()

    assert page.url.endswith("/admin/dashboard/")
    page.shot("console-dashboard")
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for index in range(5):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        assert chart.bounding_box()["height"] > 50
    assert page.locator("svg.chart rect.bar").count() > 13
    assert page.locator("svg.chart circle.dot").count() > 0

    page.click("#flow-heading ~ details summary")
    assert page.locator("#flow-heading ~ details table").is_visible()
    # Nothing makes the page wider than the screen, the table of numbers included.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("#flow-heading ~ details").scroll_into_view_if_needed()
    page.shot("console-dashboard-numbers")
