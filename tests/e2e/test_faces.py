import pytest

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import ConsumerFactory, MerchantMemberFactory, OrderFactory

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_visitor_logs_in_and_sees_their_orders(open_page, language, viewport):
    consumer = ConsumerFactory(username="buyer@example.com", password=DEMO_PASSWORD)
    OrderFactory(consumer=consumer, item_title="无线降噪耳机")
    page = open_page(language, viewport)
    page.goto(page.base + "/")
    page.shot("home")
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    assert page.url.endswith("/orders/")
    assert page.get_by_text("无线降噪耳机").is_visible()
    page.shot("consumer-orders")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_merchant_reaches_the_seller_dashboard(open_page, language, viewport):
    member = MerchantMemberFactory(
        user__username="seller@example.com", user__password=DEMO_PASSWORD
    )
    OrderFactory.create_batch(3, merchant=member.merchant)
    page = open_page(language, viewport)
    log_in(page, "seller@example.com", DEMO_PASSWORD)
    assert page.url.endswith("/seller/")
    assert page.get_by_role("heading", name=member.merchant.name).is_visible()
    page.shot("seller-overview")
    page.goto(page.base + "/seller/complaints/?q=TS")
    assert page.locator("form.search-bar input[type=search]").input_value() == "TS"
    page.shot("seller-complaints-search")


def test_a_wrong_password_shows_an_error_next_to_the_form(open_page):
    page = open_page("zh-hans", DESKTOP)
    log_in(page, "nobody@example.com", "wrong")
    assert page.locator(".error-summary").is_visible()
    page.shot("login-error")


def test_the_language_switcher_changes_the_language(open_page):
    page = open_page("zh-hans", DESKTOP)
    page.goto(page.base + "/accounts/login/")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Log in"


def test_on_a_phone_a_cards_number_sits_under_its_name_on_the_right(open_page):
    consumer = ConsumerFactory(username="buyer@example.com", password=DEMO_PASSWORD)
    order = OrderFactory(consumer=consumer, item_title="无线降噪耳机")
    page = open_page("en", PHONE)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    name = page.locator("td strong", has_text="无线降噪耳机").bounding_box()
    number = page.locator("td .mono", has_text=order.order_number).bounding_box()
    assert number["y"] >= name["y"] + name["height"] - 1
    assert abs((number["x"] + number["width"]) - (name["x"] + name["width"])) <= 1
    page.shot("consumer-orders-card")
