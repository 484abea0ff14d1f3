"""A consumer files every kind of complaint through the browser, each on an order it fits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from disputes.models import Complaint
from tests.e2e.conftest import PHONE, log_in
from tests.factories import PNG_BYTES, OrderFactory

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)

Kind = Complaint.Kind


def _order_for(kind, parties, number):
    """An order the kind can be filed on: shipped four days late for late shipping,
    delivered five days ago (inside the 7-day window) for every other kind."""
    paid = timezone.now() - timedelta(days=8)
    shipped = paid + (timedelta(days=4) if kind == Kind.LATE_SHIPPING else timedelta(hours=20))
    return OrderFactory(
        order_number=f"E2E-{number}",
        consumer=parties.consumer,
        merchant=parties.order.merchant,
        item_title="无线降噪耳机",
        goods_amount=parties.order.goods_amount,
        postage=parties.order.postage,
        paid_at=paid,
        ship_by=paid + timedelta(hours=48),
        shipped_at=shipped,
        delivered_at=shipped + timedelta(days=2),
        completed_at=None if kind == Kind.SEVEN_DAY_RETURN else shipped + timedelta(days=3),
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_kind_can_be_filed_from_the_page_on_a_phone(open_page, parties, language, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG_BYTES)
    page = open_page(language, PHONE)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    for number, kind in enumerate(Kind.values):
        order = _order_for(kind, parties, number)
        page.goto(f"{page.base}/orders/{order.order_number}/complain/")
        option = page.locator(f"input[name=kind][value={kind}]")
        assert option.is_enabled(), kind
        option.check()
        page.fill("#id_description", f"{kind}: 收到的商品有问题，详见照片。")
        if kind == Kind.SEVEN_DAY_RETURN:
            requested = timezone.localtime(order.delivered_at + timedelta(days=1))
            page.fill("#id_return_requested_at", requested.strftime("%Y-%m-%dT%H:%M"))
        page.set_input_files("#id_files", str(photo))
        page.shot(f"file-{kind.replace('_', '-')}")
        page.click("form button[type=submit].btn-primary")
        page.wait_for_load_state()
        filed = Complaint.objects.filter(order=order, kind=kind).first()
        assert filed is not None, f"{kind}: {page.locator('.error-summary').all_inner_texts()}"
        assert page.get_by_text(filed.number).first.is_visible()
