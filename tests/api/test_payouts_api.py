"""The payment system reads the payouts to send and reports each one sent or failed."""

from decimal import Decimal

import pytest

from deposits import services
from deposits.destinations import Destination
from deposits.models import Disbursement
from tests.factories import ConsumerFactory, DepositAccountFactory

pytestmark = pytest.mark.django_db

PAYOUTS = "/api/v1/payouts"


def test_the_queue_holds_pending_payouts_with_where_they_go(payment_system, pending_payout):
    response = payment_system.get(PAYOUTS)
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["id"] == pending_payout.pk
    assert (item["amount"], item["method"], item["account_number"]) == (
        "209.00",
        "alipay",
        "13812341234",
    )


def test_the_queue_lists_neither_sent_nor_waiting_payouts(payment_system, pending_payout):
    Disbursement.objects.filter(pk=pending_payout.pk).update(
        status="sent", external_reference="AP-1"
    )
    assert payment_system.get(PAYOUTS).json()["items"] == []


def test_the_queue_costs_a_few_queries_however_long(payment_system, django_assert_max_num_queries):
    account = DepositAccountFactory(paid_in=Decimal("100000.00"))
    for n in range(20):
        services.pay_out(
            account=account,
            reference=f"complaint:TS{n}",
            amount=Decimal("10.00"),
            payee=ConsumerFactory(),
            destination=Destination.of(method=Disbursement.Method.ALIPAY, number="13812341234"),
            idempotency_key=f"payout-{n}",
        )
    with django_assert_max_num_queries(6):
        response = payment_system.get(PAYOUTS, {"limit": 15})
    page = response.json()
    assert len(page["items"]) == 15
    rest = payment_system.get(PAYOUTS, {"after": page["next_after"]}).json()
    assert len(rest["items"]) == 5
    assert rest["next_after"] is None


def _sent(caller, payout, reference="AP-2026-1"):
    return caller.post(
        f"{PAYOUTS}/{payout.pk}/sent",
        {"external_reference": reference, "destination_version": payout.destination_version},
    )


def test_reporting_a_payout_sent_twice_answers_the_same_and_changes_nothing_more(
    payment_system, pending_payout
):
    first = _sent(payment_system, pending_payout)
    assert first.status_code == 200
    assert first.json()["status"] == "sent"
    pending_payout.refresh_from_db()
    sent_at = pending_payout.sent_at
    again = _sent(payment_system, pending_payout)
    assert again.status_code == 200
    assert again.json() == first.json()
    pending_payout.refresh_from_db()
    assert (pending_payout.sent_at, pending_payout.status_changed_by) == (
        sent_at,
        payment_system.client.user,
    )


def test_a_sent_payout_reported_with_another_reference_is_409(payment_system, pending_payout):
    _sent(payment_system, pending_payout)
    other = _sent(payment_system, pending_payout, reference="AP-OTHER")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "not_pending"


def test_an_account_changed_since_the_listing_refuses_the_report(payment_system, pending_payout):
    response = payment_system.post(
        f"{PAYOUTS}/{pending_payout.pk}/sent",
        {"external_reference": "AP-1", "destination_version": 0},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "destination_changed"


def test_reporting_a_payout_failed_twice_answers_the_same(payment_system, pending_payout):
    url = f"{PAYOUTS}/{pending_payout.pk}/failed"
    first = payment_system.post(url, {"reason": "账户名不符"})
    assert first.status_code == 200
    assert first.json()["status"] == "failed"
    assert payment_system.post(url, {"reason": "账户名不符"}).json() == first.json()
    pending_payout.refresh_from_db()
    assert pending_payout.failure_reason == "账户名不符"


def test_only_the_payment_systems_scope_reads_or_reports_payouts(
    store_erp, order_system, pending_payout
):
    for caller in (store_erp, order_system):
        assert caller.get(PAYOUTS).status_code == 403
        assert _sent(caller, pending_payout).status_code == 403
    pending_payout.refresh_from_db()
    assert pending_payout.status == "pending"


def test_an_unknown_payout_is_404(payment_system):
    assert payment_system.post(f"{PAYOUTS}/999999/failed", {"reason": "x"}).status_code == 404
