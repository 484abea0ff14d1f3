"""Finance acts on one payout from its own page: sent with a reference, failed with a
reason, retried; each on a form page that asks for what it needs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deposits import services
from deposits.destinations import Destination
from deposits.models import Disbursement
from tests.factories import (
    DepositAccountFactory,
    FinanceUserFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def payout() -> Disbursement:
    return services.pay_out(
        account=DepositAccountFactory(paid_in=Decimal("100000.00")),
        reference="TS20261128000001",
        amount=Decimal("199.00"),
        payee=UserFactory(),
        destination=Destination.of(method="alipay", number="buyer@example.com"),
        idempotency_key="payout-page",
    ).disbursement


def page_of(disbursement) -> str:
    return reverse("admin:deposits_disbursement_change", args=[disbursement.pk])


def step(disbursement, slug) -> str:
    return reverse(f"admin:deposits_disbursement_{slug}", args=[disbursement.pk])


def status_of(disbursement) -> str:
    return Disbursement.objects.get(pk=disbursement.pk).status


def test_a_pending_payout_offers_finance_sent_and_failed(client, payout):
    client.force_login(FinanceUserFactory())
    page = client.get(page_of(payout)).content.decode()
    assert step(payout, "sent") in page and step(payout, "failed") in page
    assert step(payout, "retry") not in page


def test_marking_sent_asks_for_the_reference_and_records_it(client, payout):
    clerk = FinanceUserFactory()
    client.force_login(clerk)
    form = client.get(step(payout, "sent"))
    assert "Payment reference" in form.content.decode() and "¥199.00" in form.content.decode()

    refused = client.post(
        step(payout, "sent"), {"external_reference": "  ", "destination_version": "1"}
    )
    assert refused.status_code == 200 and status_of(payout) == "pending"

    done = client.post(
        step(payout, "sent"), {"external_reference": "AP20261128-77", "destination_version": "1"}
    )

    assert done.url == page_of(payout)
    payout.refresh_from_db()
    assert (payout.status, payout.external_reference) == ("sent", "AP20261128-77")
    assert payout.status_changed_by == clerk
    after = client.get(page_of(payout)).content.decode()
    assert "The payout is sent: nothing more to record." in after


def test_a_failed_payout_is_retried_back_into_the_queue(client, payout):
    client.force_login(FinanceUserFactory())
    client.post(step(payout, "failed"), {"reason": "收款账号已注销"})
    assert status_of(payout) == "failed"
    assert step(payout, "retry") in client.get(page_of(payout)).content.decode()

    client.post(step(payout, "retry"))

    retried = Disbursement.objects.get(pk=payout.pk)
    assert (retried.status, retried.attempts) == ("pending", payout.attempts + 1)


def test_a_step_on_a_payout_in_the_wrong_state_says_why_and_changes_nothing(client, payout):
    client.force_login(FinanceUserFactory())
    refused = client.post(step(payout, "retry"))
    assert refused.status_code == 200
    assert "Only a failed disbursement can be retried" in refused.content.decode()
    assert status_of(payout) == "pending"


def test_a_reviewer_can_neither_open_a_payout_nor_post_a_step(client, payout):
    client.force_login(PlatformUserFactory())
    assert client.get(page_of(payout)).status_code == 403
    assert client.post(step(payout, "sent"), {"external_reference": "X"}).status_code == 403
    assert status_of(payout) == "pending"


def test_a_senior_reviewer_reads_the_payout_and_why_there_is_no_button(client, payout):
    client.force_login(SeniorReviewerFactory())
    page = client.get(page_of(payout)).content.decode()
    assert "Only finance records what happens to a payout." in page
    assert step(payout, "sent") not in page
    assert client.post(step(payout, "sent"), {"external_reference": "X"}).status_code == 403
    assert status_of(payout) == "pending"
