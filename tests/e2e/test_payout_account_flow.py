"""The consumer chooses where the platform sends the money, in a real browser: the payout
waits for the account, the bank card's fields show once a card is chosen, and the page
then shows the payout queued to the masked card."""

import pytest

from accounts.demo import DEMO_PASSWORD
from deposits.models import Disbursement
from disputes import selectors, services
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PlatformUserFactory

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)

CARD = "6222021234567890128"


def _paid_from_the_deposit(parties):
    complaint = services.file_complaint(
        order=parties.order,
        consumer=parties.consumer,
        kind="description_mismatch",
        description="页面写银色，收到的是灰色。",
        claimed_amount=parties.order.goods_amount,
    )
    services.refuse_claim(complaint=complaint, actor=parties.seller, reason="颜色无误。")
    services.escalate_complaint(complaint=complaint, actor=parties.consumer)
    reviewer = PlatformUserFactory()
    services.take_case(complaint=complaint, actor=reviewer)
    services.decide_complaint(
        complaint=complaint,
        actor=reviewer,
        lines=[
            services.LineInput(rule=line.rule, amount=line.amount)
            for line in selectors.suggestion_for_complaint(complaint)
        ],
        reason_code="rule_broken",
        reasoning="照片显示颜色与描述不符。",
        route="deposit",
    )
    return complaint


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_consumer_chooses_a_bank_card_for_the_payout(open_page, parties, language, viewport):
    complaint = _paid_from_the_deposit(parties)
    page = open_page(language, viewport)
    log_in(page, "buyer@example.com", DEMO_PASSWORD)
    page.goto(f"{page.base}/complaints/{complaint.number}/")
    form = page.locator("form[data-payout-account]")
    assert form.is_visible()
    assert not page.locator("input[name=card_number]").is_visible()  # Alipay is chosen
    page.shot("consumer-payout-awaiting-account")

    page.click("a[href='#payout']")  # the next step points to the form
    page.check("input[name=method][value=bank]")
    assert page.locator("input[name=card_number]").is_visible()
    assert not page.locator("input[name=alipay_account]").is_visible()
    page.fill("input[name=bank_name]", "招商银行")
    page.fill("input[name=holder_name]", "李娜")
    page.fill("input[name=card_number]", "6222 0212 3456 7890 129")  # one digit wrong
    page.check("input[name=confirm]")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".field-invalid input[name=card_number]").is_visible()
    assert Disbursement.objects.get().status == "awaiting_account"
    page.shot("consumer-payout-card-mistyped")

    page.fill("input[name=card_number]", "6222 0212 3456 7890 128")
    page.check("input[name=confirm]")
    page.locator("form[data-payout-account] button[type=submit]").click()
    page.wait_for_load_state()

    payout = Disbursement.objects.get()
    assert (payout.status, payout.payee_account_masked) == ("pending", "**** 0128")
    card = page.locator("#payout")
    assert "**** 0128" in card.inner_text()
    assert CARD not in page.content()
    page.shot("consumer-payout-queued")
