from decimal import Decimal

import pytest

from accounts import roles
from accounts.demo import DEMO_PASSWORD
from disputes import selectors, services
from disputes.models import Complaint
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import (
    PNG_BYTES,
    EvidenceFactory,
    PlatformUserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = {"name": "photo.png", "mimeType": "image/png", "buffer": PNG_BYTES}


@pytest.fixture
def under_review(parties):
    """A refused complaint the consumer escalated, taken by a reviewer."""
    consumer, seller, order = parties.consumer, parties.seller, parties.order
    complaint = services.file_complaint(
        order=order,
        consumer=consumer,
        kind="description_mismatch",
        description="页面写银色，收到的是灰色。",
        claimed_amount=Decimal("899.00"),
    )
    EvidenceFactory(complaint=complaint, description="收到的耳机")
    services.refuse_claim(complaint=complaint, actor=seller, reason="颜色在详情页有说明。")
    services.escalate_complaint(complaint=complaint, actor=consumer)
    reviewer = PlatformUserFactory(roles=[roles.REVIEWERS])
    services.take_case(complaint=complaint, actor=reviewer)
    return complaint, reviewer


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_consumer_answers_the_platform_and_appeals_the_rejection(
    open_page, under_review, language, viewport
):
    complaint, reviewer = under_review
    services.request_info(
        complaint=complaint,
        actor=reviewer,
        party="consumer",
        question="请上传收到商品的正面照片和商品详情页截图。",
    )
    page = open_page(language, viewport)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/complaints/{complaint.number}/")
    assert page.get_by_text("请上传收到商品的正面照片和商品详情页截图。").first.is_visible()
    page.shot("review-info-requested-consumer")
    form = "form[action$='/answer-info/']"
    page.fill(f"{form} textarea[name=answer]", "已上传正面照片，详情页截图里写的是银色。")
    page.set_input_files(f"{form} input[name=files]", files=[PHOTO])
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.UNDER_REVIEW
    page.shot("review-info-answered-consumer")

    services.reject_complaint(
        complaint=complaint,
        actor=reviewer,
        reason_code="insufficient_evidence",
        reasoning="照片在暖光下拍摄，无法证明颜色与描述不符。",
        evidence=list(complaint.evidence.all()[:1]),
    )
    page.reload()
    assert page.locator("#decision").is_visible()
    page.shot("review-rejected-consumer")
    page.click("details:has(form[action$='/appeal/']) summary")
    page.fill("form[action$='/appeal/'] textarea[name=reason]", "我补充了自然光下的照片。")
    page.shot("review-appealing-consumer")
    page.click("form[action$='/appeal/'] button[type=submit]")
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.UNDER_APPEAL
    page.shot("review-appealed-consumer")

    seller_page = open_page(language, viewport)
    log_in(seller_page, "seller@example.com", DEMO_PASSWORD)
    seller_page.goto(f"{seller_page.base}/seller/complaints/{complaint.number}/")
    assert seller_page.locator("form[action$='/appeal-response/']").is_visible()
    seller_page.shot("review-appeal-to-answer-seller")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_merchant_pays_first_with_a_voucher(open_page, under_review, language, viewport):
    complaint, reviewer = under_review
    services.decide_complaint(
        complaint=complaint,
        actor=reviewer,
        lines=[
            services.LineInput(rule=line.rule, amount=line.amount)
            for line in selectors.suggestion_for(order=complaint.order, kind=complaint.kind)
        ],
        reason_code="rule_broken",
        reasoning="详情页写银色，实物为灰色，属于描述不符。",
        evidence=list(complaint.evidence.all()),
        route="merchant_first",
    )
    page = open_page(language, viewport)
    log_in(page, "seller@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/seller/complaints/{complaint.number}/")
    page.shot("review-pay-first-seller")
    form = "form[action$='/payment/']"
    page.set_input_files(f"{form} input[name=files]", files=[PHOTO])
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PAID
    page.shot("review-paid-seller")
