from decimal import Decimal

import pytest

from accounts.demo import DEMO_PASSWORD
from deposits import services as ledger
from deposits.destinations import Destination
from disputes.models import Complaint, Decision
from tests.console.test_work_queue import case, decision
from tests.e2e.conftest import DESKTOP, PHONE, log_in_to_console
from tests.factories import (
    DepositAccountFactory,
    FinanceUserFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Complaint.Status


def work_for_everyone():
    reviewer = PlatformUserFactory(username="reviewer@example.com", password=DEMO_PASSWORD)
    for hours in (-3, 20, 40):
        case(Status.UNDER_REVIEW, due_in_hours=hours)
    case(Status.UNDER_REVIEW, assigned_reviewer=reviewer, decision_overdue=True, due_in_hours=-2)
    awaiting = case(Status.AWAITING_APPROVAL, assigned_reviewer=reviewer)
    decision(awaiting, by=reviewer, status=Decision.Status.PENDING_APPROVAL)
    account = DepositAccountFactory(paid_in=Decimal("100000.00"))
    ledger.pay_out(
        account=account,
        reference="TS1",
        amount=Decimal("128.00"),
        payee=UserFactory(),
        destination=Destination.of(method="alipay", number="buyer@example.com"),
        idempotency_key="landing-payout",
    )
    return {
        "reviewer": reviewer,
        "senior": SeniorReviewerFactory(username="senior@example.com", password=DEMO_PASSWORD),
        "finance": FinanceUserFactory(username="finance@example.com", password=DEMO_PASSWORD),
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["reviewer", "senior", "finance"])
def test_each_role_lands_on_what_waits_for_it_and_reaches_it_in_one_click(
    open_page, language, role
):
    users = work_for_everyone()
    page = open_page(language, DESKTOP)

    log_in_to_console(page, users[role], DEMO_PASSWORD)

    assert page.url.endswith("/admin/")
    assert page.locator(".work-queue").count() == 1
    page.shot(f"console-landing-{role}")
    page.locator(".work-queue td.next a").first.click()
    page.wait_for_load_state()
    assert "/change/" in page.url


def test_a_reviewer_takes_the_next_case_on_a_phone(open_page):
    users = work_for_everyone()
    page = open_page("zh-hans", PHONE)
    log_in_to_console(page, users["reviewer"], DEMO_PASSWORD)
    page.shot("console-landing-reviewer")

    page.click(".take-next button")
    page.wait_for_load_state()

    assert "/change/" in page.url
    page.shot("console-take-next")
