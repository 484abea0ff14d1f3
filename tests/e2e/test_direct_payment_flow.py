import pytest
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from disputes import services
from disputes.models import Complaint, DirectPayment
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PNG_BYTES

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_merchant_records_paying_a_settlement_and_the_consumer_sees_it(
    open_page, parties, language, viewport, tmp_path
):
    complaint = services.file_complaint(
        order=parties.order,
        consumer=parties.consumer,
        kind="description_mismatch",
        description="页面写银色，收到的是灰色。",
        claimed_amount=parties.order.goods_amount,
    )
    services.accept_claim(complaint=complaint, actor=parties.seller)
    voucher = tmp_path / "voucher.png"
    voucher.write_bytes(PNG_BYTES)
    paid = timezone.localtime(timezone.now())  # the minute of the settlement: not before it

    seller_page = open_page(language, viewport)
    log_in(seller_page, "seller@example.com", DEMO_PASSWORD)
    seller_page.goto(f"{seller_page.base}/seller/complaints/{complaint.number}/")
    seller_page.fill("input[name=paid_at]", paid.strftime("%Y-%m-%dT%H:%M"))
    seller_page.fill("input[name=reference]", "2026112822001400")
    seller_page.set_input_files("input[name=files]", str(voucher))
    seller_page.shot("seller-recording-payment")
    seller_page.click("form[action$='/direct-payment/'] button[type=submit]")
    seller_page.wait_for_load_state()
    assert DirectPayment.objects.filter(complaint=complaint).exists()
    seller_page.shot("seller-payment-recorded")

    page = open_page(language, viewport)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/complaints/{complaint.number}/")
    assert page.get_by_text("2026112822001400").first.is_visible()
    page.shot("consumer-sees-recorded-payment")
    assert Complaint.objects.get().status == Complaint.Status.SETTLED
