import pytest

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, log_in

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_store_owner_chooses_the_daily_digest_and_text_messages_for_messages(
    open_page, parties, language, viewport
):
    seller = parties.seller
    seller.email = "seller@example.com"
    seller.save()
    page = open_page(language, viewport)
    log_in(page, "seller@example.com", DEMO_PASSWORD)
    page.goto(page.base + "/notifications/")
    page.click("a[href$='/notifications/settings/']")
    page.wait_for_load_state()
    page.uncheck("input[name='updates:email']")
    page.check("input[name=daily_digest]")
    page.select_option("select[name=language]", language)
    page.shot("notification-settings")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()
    assert page.locator(".messages [role=status]").first.is_visible()
    seller.refresh_from_db()
    assert seller.daily_digest and seller.muted_notices == ["updates:email"]
    assert seller.language == language
    page.shot("notification-settings-saved")
