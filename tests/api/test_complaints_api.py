"""A store's client reads and answers its store's complaints, and nothing of another's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes import services
from disputes.models import Complaint, Evidence, Message, Notification, Offer
from outbox.models import OutboundMessage
from tests.factories import (
    PNG_BYTES,
    ComplaintFactory,
    EvidenceFactory,
    MessageFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db

COMPLAINTS = "/api/v1/complaints"


@pytest.fixture
def complaint(store):
    return ComplaintFactory(order=OrderFactory(merchant=store))


@pytest.fixture
def elsewhere(other_store):
    return ComplaintFactory(order=OrderFactory(merchant=other_store))


def _numbers(response) -> list[str]:
    return [item["number"] for item in response.json()["items"]]


def test_the_list_holds_only_the_clients_store(store_erp, complaint, elsewhere):
    response = store_erp.get(COMPLAINTS)
    assert response.status_code == 200
    assert _numbers(response) == [complaint.number]
    assert response.json()["items"][0]["claimed_amount"] == "100.00"


def test_another_stores_complaint_is_404_to_read_and_to_answer(store_erp, elsewhere):
    for response in (
        store_erp.get(f"{COMPLAINTS}/{elsewhere.number}"),
        store_erp.post(f"{COMPLAINTS}/{elsewhere.number}/accept"),
        store_erp.post(f"{COMPLAINTS}/{elsewhere.number}/messages", {"body": "hi"}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    elsewhere.refresh_from_db()
    assert elsewhere.status == "negotiating"
    assert not Message.objects.filter(complaint=elsewhere).exists()


def test_one_complaint_comes_with_its_timeline_evidence_and_deadline(store_erp, complaint):
    MessageFactory(complaint=complaint, body="请尽快处理。")
    body = store_erp.get(f"{COMPLAINTS}/{complaint.number}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["due_at"] is not None
    assert [step["kind"] for step in body["timeline"]] == ["filed", "message"]
    assert body["timeline"][1]["detail"] == "请尽快处理。"
    assert body["evidence"] == []
    assert "*" in body["consumer_name"]


def test_the_list_filters_by_status_and_change_time(store_erp, store, complaint):
    settled = ComplaintFactory(order=OrderFactory(merchant=store), status="settled")
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert _numbers(store_erp.get(COMPLAINTS, {"status": "settled"})) == [settled.number]
    since = timezone.now() - timedelta(days=1)
    assert _numbers(store_erp.get(COMPLAINTS, {"updated_since": since.isoformat()})) == [
        settled.number
    ]
    beijing = timezone.localtime(since).replace(tzinfo=None).isoformat()
    assert _numbers(store_erp.get(COMPLAINTS, {"updated_since": beijing})) == [settled.number]
    assert store_erp.get(COMPLAINTS, {"status": "happy"}).status_code == 422


def test_the_cursor_walks_every_complaint_once_in_change_order(store_erp, store):
    now = timezone.now()
    complaints = [ComplaintFactory(order=OrderFactory(merchant=store)) for _ in range(5)]
    # Two share one instant: the id orders them.
    for minutes, complaint in zip((5, 4, 4, 2, 1), complaints, strict=True):
        Complaint.objects.filter(pk=complaint.pk).update(
            updated_at=now - timedelta(minutes=minutes)
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = store_erp.get(COMPLAINTS, params).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c.number for c in complaints]


def test_a_forged_cursor_is_422(store_erp):
    response = store_erp.get(COMPLAINTS, {"cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_the_list_costs_the_same_few_queries_for_many_complaints(
    store_erp, store, django_assert_max_num_queries
):
    for _ in range(30):
        ComplaintFactory(order=OrderFactory(merchant=store))
    with django_assert_max_num_queries(8):
        response = store_erp.get(COMPLAINTS, {"limit": 30})
    assert len(response.json()["items"]) == 30


def test_reading_one_complaint_costs_a_bounded_number_of_queries(
    store_erp, complaint, django_assert_max_num_queries
):
    for _ in range(5):
        MessageFactory(complaint=complaint)
    with django_assert_max_num_queries(25):
        assert store_erp.get(f"{COMPLAINTS}/{complaint.number}").status_code == 200


def test_accepting_the_claim_settles_it_as_the_clients_staff_login(store_erp, complaint):
    response = store_erp.post(f"{COMPLAINTS}/{complaint.number}/accept")
    assert response.status_code == 200
    assert response.json()["status"] == "settled"
    complaint.refresh_from_db()
    assert complaint.status == "settled"


def test_an_offer_within_the_clients_limit_is_made(store_erp, complaint):
    response = store_erp.post(
        f"{COMPLAINTS}/{complaint.number}/offers", {"refund": "60.00", "compensation": "20.00"}
    )
    assert response.status_code == 201
    offer = Offer.objects.get(complaint=complaint)
    assert (offer.refund, offer.compensation) == (Decimal("60.00"), Decimal("20.00"))
    assert offer.made_by == store_erp.client.user
    assert response.json()["offers"][0]["refund"] == "60.00"


def test_an_offer_above_the_clients_limit_is_422_and_changes_nothing(store_erp, complaint):
    response = store_erp.post(
        f"{COMPLAINTS}/{complaint.number}/offers",
        {"refund": "90.00", "compensation": "20.00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "above_limit"
    assert "¥100.00" in error["message"]
    assert not Offer.objects.filter(complaint=complaint).exists()
    complaint.refresh_from_db()
    assert complaint.merchant_answer == ""


def test_refusing_needs_a_reason_and_a_second_answer_is_409(store_erp, complaint):
    url = f"{COMPLAINTS}/{complaint.number}/refuse"
    empty = store_erp.post(url, {"reason": ""})
    assert empty.status_code == 422
    assert "reason" in empty.json()["error"]["fields"]
    assert store_erp.post(url, {"reason": "商品与描述一致。"}).status_code == 200
    again = store_erp.post(url, {"reason": "再说一次。"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_allowed"


def test_a_message_is_posted_for_the_store(store_erp, complaint):
    response = store_erp.post(f"{COMPLAINTS}/{complaint.number}/messages", {"body": "已发货。"})
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.party, message.author, message.body) == (
        "merchant",
        store_erp.client.user,
        "已发货。",
    )


def test_the_stores_client_is_never_mailed_the_notices_its_store_gets(store_erp, complaint):
    services.post_message(complaint=complaint, author=complaint.consumer, body="还没收到。")
    service_login = store_erp.client.user
    assert Notification.objects.filter(user=service_login).exists()
    assert not OutboundMessage.objects.filter(recipient__startswith="api-").exists()
    assert (service_login.email_address, service_login.mobile) == ("", "")


def test_evidence_is_uploaded_as_multipart(store_erp, complaint):
    response = store_erp.upload(
        f"{COMPLAINTS}/{complaint.number}/evidence",
        {
            "kind": "photo",
            "description": "发货单",
            "files": [SimpleUploadedFile("shipped.png", PNG_BYTES, content_type="image/png")],
        },
    )
    assert response.status_code == 201
    [stored] = response.json()
    assert (stored["party"], stored["original_name"]) == ("merchant", "shipped.png")
    assert Evidence.objects.filter(complaint=complaint, party="merchant").count() == 1


def test_evidence_files_are_downloaded_only_from_the_clients_store(store_erp, complaint, elsewhere):
    mine = EvidenceFactory(complaint=complaint)
    theirs = EvidenceFactory(complaint=elsewhere)
    response = store_erp.get(f"{COMPLAINTS}/{complaint.number}/evidence/{mine.pk}/file")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PNG_BYTES
    for number, evidence in ((complaint.number, theirs), (elsewhere.number, theirs)):
        url = f"{COMPLAINTS}/{number}/evidence/{evidence.pk}/file"
        assert store_erp.get(url).status_code == 404


def test_a_file_that_is_no_image_or_pdf_is_refused_and_nothing_is_kept(store_erp, complaint):
    response = store_erp.upload(
        f"{COMPLAINTS}/{complaint.number}/evidence",
        {"kind": "photo", "files": [SimpleUploadedFile("x.png", b"MZ not an image")]},
    )
    assert response.status_code == 422
    assert not Evidence.objects.filter(complaint=complaint).exists()


def test_a_reading_client_may_not_answer(store_reader, complaint):
    for path, body in (("accept", {}), ("refuse", {"reason": "x"}), ("messages", {"body": "x"})):
        response = store_reader.post(f"{COMPLAINTS}/{complaint.number}/{path}", body)
        assert response.status_code == 403
    assert store_reader.get(f"{COMPLAINTS}/{complaint.number}").status_code == 200
