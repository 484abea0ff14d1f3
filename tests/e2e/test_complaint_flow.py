import pytest

from accounts.demo import DEMO_PASSWORD
from disputes.models import Complaint
from tests.e2e.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_complaint_goes_from_filing_to_platform_review(open_page, parties, language, viewport):
    order = parties.order
    page = open_page(language, viewport)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/orders/{order.order_number}/complain/")
    page.shot("file-complaint")
    page.check("input[name=kind][value=description_mismatch]")
    page.fill("#id_description", "页面写银色，收到的是灰色。")
    page.fill("#id_claimed_amount", "899.00")
    page.click("form button.btn-primary")
    page.wait_for_load_state()
    complaint = Complaint.objects.get()
    assert page.url.endswith(f"/complaints/{complaint.number}/")
    page.shot("complaint-filed-consumer")

    seller_page = open_page(language, viewport)
    log_in(seller_page, "seller@example.com", DEMO_PASSWORD)
    seller_page.shot("seller-overview-with-complaint")
    seller_page.goto(f"{seller_page.base}/seller/complaints/{complaint.number}/")
    seller_page.click("details:has(textarea[name=reason]) summary")
    seller_page.fill("textarea[name=reason]", "颜色在详情页有说明。")
    seller_page.shot("seller-complaint-refusing")
    seller_page.click("details:has(textarea[name=reason]) button[type=submit]")
    seller_page.wait_for_load_state()
    seller_page.shot("seller-complaint-refused")

    page.reload()
    page.click("details:has(form[action$='/escalate/']) summary")
    page.fill("form[action$='/escalate/'] textarea[name=statement]", "商品颜色明显不同，见照片。")
    page.shot("complaint-escalating-consumer")
    page.click("form[action$='/escalate/'] button[type=submit]")
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.UNDER_REVIEW
    page.shot("complaint-under-review-consumer")
