"""A settlement paid directly: the merchant records paying, with proof; the consumer sees it
and can still report it unpaid (reopen) within the window. No new states."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import Complaint, DirectPayment, Evidence, Notification
from tests.disputes.test_review import png, reviewer_user, under_review

pytestmark = pytest.mark.django_db

S = Complaint.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def settled(complaint, store):
    return services.accept_claim(complaint=complaint, actor=store.owner)


def record(complaint, actor, **overrides):
    arguments = {
        "complaint": complaint,
        "actor": actor,
        "amount": complaint.settled_amount,
        # Now: never before the settlement just made, even across a minute boundary.
        "paid_at": timezone.now(),
        "method": DirectPayment.Method.ALIPAY,
        "reference": "2026112822001",
        "proof_files": [png()],
        **overrides,
    }
    return services.record_direct_payment(**arguments)


def nothing_written(complaint):
    return (
        not DirectPayment.objects.filter(complaint=complaint).exists()
        and not Evidence.objects.filter(
            complaint=complaint, kind=Evidence.Kind.PAYMENT_VOUCHER
        ).exists()
        and not Notification.objects.filter(event__startswith="direct_payment").exists()
    )


def _url(name, complaint):
    return reverse(f"disputes:{name}", args=[complaint.number])


def _form(complaint, **overrides):
    return {
        "amount": str(complaint.settled_amount),
        # A form gives minutes: paid in the minute of the settlement counts as after it.
        "paid_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": "bank",
        "reference": "ICBC-778812",
        "files": [png()],
        **overrides,
    }


# --- the service ------------------------------------------------------------------------


def test_the_merchant_records_paying_with_proof_and_the_consumer_is_told(settled, store, consumer):
    payment = record(settled, store.staff)

    settled.refresh_from_db()
    assert settled.status == S.SETTLED  # no new state, no transition
    assert payment.amount == Decimal("199.00")
    assert payment.recorded_by == store.staff
    [proof] = Evidence.objects.filter(direct_payment=payment)
    assert (proof.kind, proof.party) == (Evidence.Kind.PAYMENT_VOUCHER, "merchant")
    [notice] = Notification.objects.filter(user=consumer, event="direct_payment")
    assert notice.params["amount"] == "¥199.00"
    assert notice.params["due"] == settled.reopen_until.isoformat()


def test_more_than_the_settled_amount_is_accepted(settled, store):
    assert record(settled, store.owner, amount=Decimal("250.00")).amount == Decimal("250.00")


def test_a_payment_recorded_after_the_reopen_window_tells_no_deadline(settled, store, consumer):
    with time_machine.travel(settled.reopen_until + timedelta(hours=1)):
        record(settled, store.owner)
    assert Notification.objects.filter(user=consumer, event="direct_payment_late").exists()
    assert not Notification.objects.filter(event="direct_payment").exists()


@pytest.mark.parametrize("who", ["consumer", "other_store", "reviewer"])
def test_only_the_stores_members_may_record(settled, consumer, other_store, who):
    actor = {
        "consumer": consumer,
        "other_store": other_store.owner,
        "reviewer": reviewer_user(),
    }[who]
    with pytest.raises(ValidationError):
        record(settled, actor)
    assert nothing_written(settled)


def test_a_negotiating_complaint_cannot_record_a_payment(complaint, store):
    with pytest.raises(ValidationError):
        record(complaint, store.owner, amount=Decimal("199.00"))
    assert nothing_written(complaint)


def test_a_complaint_under_review_cannot_record_a_payment(complaint, store, consumer):
    under_review(complaint, store, consumer, reviewer_user())
    with pytest.raises(ValidationError):
        record(complaint, store.owner, amount=Decimal("199.00"))
    assert nothing_written(complaint)


def test_a_reopened_settlement_cannot_record_a_payment(settled, store, consumer):
    services.reopen_complaint(complaint=settled, actor=consumer)
    with pytest.raises(ValidationError):
        record(settled, store.owner)
    assert nothing_written(settled)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": Decimal("198.99")}, "Pay at least the settled amount"),
        ({"paid_at": timezone.now() + timedelta(days=1)}, "cannot be in the future"),
        ({"paid_at": timezone.now() - timedelta(days=30)}, "cannot be before the settlement"),
        ({"proof_files": []}, "Attach the payment voucher"),
        (
            {"proof_files": [SimpleUploadedFile("v.txt", b"just some text")]},
            "is not a JPEG, PNG, WebP or PDF file",
        ),
        ({"method": "cash"}, "Choose how you paid"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(settled, store, overrides, message):
    with pytest.raises(ValidationError) as refused:
        record(settled, store.owner, **overrides)
    assert message in " ".join(refused.value.messages)
    assert nothing_written(settled)


def test_a_second_record_is_refused(settled, store):
    record(settled, store.owner)
    with pytest.raises(ValidationError) as refused:
        record(settled, store.staff)
    assert "recorded already" in refused.value.messages[0]
    assert DirectPayment.objects.filter(complaint=settled).count() == 1
    assert Evidence.objects.filter(complaint=settled, kind="payment_voucher").count() == 1


def test_the_consumer_can_still_report_it_unpaid_within_the_window(settled, store, consumer):
    record(settled, store.owner)
    with time_machine.travel(settled.reopen_until - timedelta(minutes=5)):
        reopened = services.reopen_complaint(complaint=settled, actor=consumer)
    assert reopened.status == S.UNDER_REVIEW
    assert DirectPayment.objects.filter(complaint=settled).exists()


# --- the pages ----------------------------------------------------------------------------


def test_the_seller_records_the_payment_from_the_complaint_page(client, settled, store, consumer):
    client.force_login(store.staff)
    page = client.get(_url("seller_complaint", settled), **EN).content.decode()
    assert "Record the payment" in page
    assert 'value="199.00"' in page  # the amount is prefilled with the settled amount

    response = client.post(_url("seller_record_payment", settled), _form(settled), **EN)
    assert response.status_code == 302
    page = client.get(_url("seller_complaint", settled), **EN).content.decode()
    assert "Your payment is recorded" in page
    assert "You recorded paying ¥199.00 on" in page
    assert "ICBC-778812" in page
    assert 'action="' + _url("seller_record_payment", settled) not in page
    proof = Evidence.objects.get(complaint=settled, kind="payment_voucher")
    assert reverse("disputes:seller_evidence_file", args=[settled.number, proof.pk]) in page


def test_the_consumer_sees_the_recorded_payment_and_can_still_report_it(
    client, settled, store, consumer
):
    record(settled, store.owner, method=DirectPayment.Method.WECHAT)
    proof = Evidence.objects.get(complaint=settled, kind="payment_voucher")
    client.force_login(consumer)
    page = client.get(_url("complaint", settled), **EN).content.decode()
    assert "The merchant's recorded payment" in page
    assert "The merchant records paying you ¥199.00 on" in page
    assert "WeChat Pay" in page and "2026112822001" in page
    assert "The merchant recorded paying ¥199.00" in page  # the timeline step
    file_url = reverse("disputes:consumer_evidence_file", args=[settled.number, proof.pk])
    assert file_url in page
    assert client.get(file_url).status_code == 200
    assert "Report the settlement unpaid" in page
    notices = client.get(reverse("disputes:notifications"), **EN).content.decode()
    assert "The merchant records paying you ¥199.00" in notices
    assert "report it unpaid until" in notices

    client.post(reverse("disputes:consumer_action", args=[settled.number, "reopen"]))
    settled.refresh_from_db()
    assert settled.status == S.UNDER_REVIEW


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "100.00"}, "Pay at least the settled amount, ¥199.00."),
        ({"paid_at": "2099-01-01T10:00"}, "The payment cannot be in the future."),
        ({"files": []}, "Attach the payment voucher."),
        (
            {"files": [SimpleUploadedFile("v.png", b"MZ not an image")]},
            "is not a JPEG, PNG, WebP or PDF file",
        ),
    ],
)
def test_a_bad_form_shows_the_error_and_changes_nothing(client, settled, store, overrides, message):
    client.force_login(store.owner)
    response = client.post(
        _url("seller_record_payment", settled), _form(settled, **overrides), follow=True, **EN
    )
    assert message in response.content.decode()
    assert nothing_written(settled)


def test_a_double_submit_from_the_page_records_once(client, settled, store):
    client.force_login(store.owner)
    client.post(_url("seller_record_payment", settled), _form(settled), **EN)
    response = client.post(
        _url("seller_record_payment", settled), _form(settled), follow=True, **EN
    )
    assert "recorded already" in response.content.decode()
    assert DirectPayment.objects.filter(complaint=settled).count() == 1


def test_another_stores_member_cannot_post_the_form(client, settled, other_store):
    client.force_login(other_store.owner)
    response = client.post(_url("seller_record_payment", settled), _form(settled))
    assert response.status_code == 404
    assert nothing_written(settled)


def test_the_console_case_file_of_a_reopened_settlement_shows_the_recorded_payment(
    client, settled, store, consumer
):
    record(settled, store.owner, reference="PAY-REF-42")
    services.reopen_complaint(complaint=settled, actor=consumer)
    client.force_login(reviewer_user())
    page = client.get(
        reverse("admin:disputes_complaint_change", args=[settled.pk]), **EN
    ).content.decode()
    assert 'id="case-direct-payment"' in page
    assert "PAY-REF-42" in page
    proof = Evidence.objects.get(complaint=settled, kind="payment_voucher")
    assert reverse("admin:disputes_complaint_evidence", args=[settled.pk, proof.pk]) in page


def test_the_party_pages_read_as_many_queries_with_a_recorded_payment(
    client, settled, store, consumer, file
):
    """The record comes with the complaint's row and its proof with the evidence already
    read: a page with a recorded payment costs what a page without one costs."""
    unrecorded = services.accept_claim(
        complaint=file(kind="counterfeit", claimed_amount=Decimal("5.00")), actor=store.owner
    )
    record(settled, store.owner)
    for user, name in ((consumer, "complaint"), (store.owner, "seller_complaint")):
        client.force_login(user)
        queries(client, _url(name, unrecorded))  # the policies read once, as a server has
        assert queries(client, _url(name, settled)) == queries(client, _url(name, unrecorded))


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
