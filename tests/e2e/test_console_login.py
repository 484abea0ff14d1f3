from base64 import b32decode

import pytest
from django_otp.oath import totp

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PlatformUserFactory

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def code_for(typed_key: str) -> str:
    """What an authenticator app shows for the key typed into it."""
    return f"{totp(b32decode(typed_key.replace(' ', ''))):06d}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_reviewer_sets_up_the_app_at_the_first_login_then_uses_a_recovery_code(
    open_page, language, viewport
):
    PlatformUserFactory(username="reviewer@example.com", password=DEMO_PASSWORD)
    page = open_page(language, viewport)

    log_in(page, "reviewer@example.com", DEMO_PASSWORD)

    assert "/accounts/two-factor/" in page.url
    qr_width = page.locator("img.qr-code").evaluate("image => image.naturalWidth")
    assert qr_width > 0
    page.shot("console-enrol")
    page.fill("#id_code", code_for(page.locator(".secret-key").inner_text()))
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.shot("console-recovery-codes")
    page.click("a.btn-primary")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/")

    page.click("#logout-form button")
    page.wait_for_load_state()
    log_in(page, "reviewer@example.com", DEMO_PASSWORD)
    assert page.locator(".secret-key").count() == 0
    page.shot("console-second-step")
    page.fill("#id_code", codes[0])
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/")
