import re

import pytest
from django.core import mail

from accounts.demo import DEMO_PASSWORD
from disputes import services
from disputes.models import Offer
from merchants.models import MerchantMember
from tests.e2e.conftest import DESKTOP, PHONE, log_in

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)

STAFF_PASSWORD = "Wu-Qian-staff-2026"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_owner_invites_a_staff_member_who_sees_and_does_only_what_was_granted(
    open_page, parties, language, viewport
):
    complaint = services.file_complaint(
        order=parties.order,
        consumer=parties.consumer,
        kind="description_mismatch",
        description="页面写银色，收到的是灰色。",
        claimed_amount=parties.order.goods_amount,
    )

    owner_page = open_page(language, viewport)
    log_in(owner_page, "seller@example.com", DEMO_PASSWORD)
    owner_page.goto(f"{owner_page.base}/seller/staff/")
    owner_page.fill("#id_identifier", "wu.qian@example.com")
    owner_page.fill("#id_display_name", "吴倩")
    owner_page.fill("#id_offer_limit", "500")
    owner_page.shot("staff-inviting")
    owner_page.click("form[action$='/staff/invite/'] button[type=submit]")
    owner_page.wait_for_load_state()
    assert owner_page.get_by_text("wu.qian@example.com").first.is_visible()
    owner_page.shot("staff-invited")

    (message,) = [m for m in mail.outbox if m.to == ["wu.qian@example.com"]]
    link = re.search(r"https?://\S+/seller/join/\S+/", message.body).group(0)
    staff_page = open_page(language, viewport)
    staff_page.goto(link)
    staff_page.shot("staff-joining")
    staff_page.fill("#id_new_password1", STAFF_PASSWORD)
    staff_page.fill("#id_new_password2", STAFF_PASSWORD)
    staff_page.click("form button[type=submit].btn-primary")
    staff_page.wait_for_load_state()
    assert staff_page.url.endswith("/seller/")
    member = MerchantMember.objects.get(user__username="wu.qian@example.com")
    assert member.offer_limit == 500 and not member.may_see_deposit
    # Nothing of the deposit: no link, no figures.
    assert staff_page.locator("nav a[href='/seller/deposit/']").count() == 0
    assert staff_page.locator("#deposit-title").count() == 0
    staff_page.shot("staff-overview")

    staff_page.goto(f"{staff_page.base}/seller/complaints/{complaint.number}/")
    assert staff_page.locator(".grant-note").is_visible()
    staff_page.click("details:has(input[name=refund]) summary")
    staff_page.fill("input[name=refund]", "899.00")
    staff_page.click("details:has(input[name=refund]) button[type=submit]")
    staff_page.wait_for_load_state()
    assert not Offer.objects.exists()  # above the ¥500 granted: refused, with the reason
    assert staff_page.locator(".message-error").is_visible()
    staff_page.shot("staff-offer-above-limit")
    staff_page.click("details:has(input[name=refund]) summary")
    staff_page.fill("input[name=refund]", "300.00")
    staff_page.click("details:has(input[name=refund]) button[type=submit]")
    staff_page.wait_for_load_state()
    assert Offer.objects.get().made_by == member.user
    assert staff_page.get_by_text("吴倩").first.is_visible()  # named on the timeline
    staff_page.shot("staff-offer-made")

    # Asked beside the page: a browser reports a 403 document as a console error.
    refused = staff_page.request.get(f"{staff_page.base}/seller/deposit/")
    assert refused.status == 403

    owner_page.goto(f"{owner_page.base}/seller/staff/{member.pk}/")
    owner_page.check("#id_may_see_deposit")
    owner_page.shot("staff-grants")
    owner_page.click("form:has(#id_may_see_deposit) button[type=submit]")
    owner_page.wait_for_load_state()
    assert staff_page.request.get(f"{staff_page.base}/seller/deposit/").status == 200
    staff_page.goto(f"{staff_page.base}/seller/")
    assert staff_page.locator("nav a[href='/seller/deposit/']").count() == 1
    staff_page.shot("staff-overview-with-deposit")
