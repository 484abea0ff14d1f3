import pytest

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, log_in

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_choosing_a_kind_shows_its_fields_and_prefills_what_the_rules_allow(
    open_page, parties, language, viewport
):
    page = open_page(language, viewport)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/orders/{parties.order.order_number}/complain/")
    assert not page.locator("#id_return_shipping").is_visible()
    assert not page.locator("#id_return_requested_at").is_visible()

    mismatch = page.locator("input[name=kind][value=description_mismatch]")
    mismatch.check()

    assert page.locator("#id_return_shipping").is_visible()
    assert not page.locator("#id_return_requested_at").is_visible()
    assert page.input_value("#id_claimed_amount") == mismatch.get_attribute("data-maximum")
    page.shot("file-complaint-kind-chosen")

    page.fill("#id_claimed_amount", "100.00")
    page.check("input[name=kind][value=after_sales]")
    assert page.input_value("#id_claimed_amount") == "100.00"  # what they typed stays
    assert not page.locator("#id_return_shipping").is_visible()
