"""A POST sent again with its Idempotency-Key gets the first answer, and acts once."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone

from api.endpoints import complaints as complaint_endpoints
from api.models import ApiCall, IdempotencyRecord
from deposit_claims.tasks import housekeeping
from disputes.models import Evidence, Message
from tests.factories import PNG_BYTES, ComplaintFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(store):
    return ComplaintFactory(order=OrderFactory(merchant=store))


def _message(caller, complaint, body="已发货。", key="msg-1"):
    return caller.post(
        f"/api/v1/complaints/{complaint.number}/messages",
        {"body": body},
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_replay_returns_the_first_answer_byte_for_byte_and_acts_once(store_erp, complaint):
    first = _message(store_erp, complaint)
    again = _message(store_erp, complaint)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Message.objects.filter(complaint=complaint).count() == 1
    assert list(ApiCall.objects.order_by("id").values_list("idempotency_key", "replayed")) == [
        ("msg-1", False),
        ("msg-1", True),
    ]


def test_a_refusal_is_replayed_too(store_erp, complaint):
    first = store_erp.post(
        f"/api/v1/complaints/{complaint.number}/offers",
        {"refund": "500.00"},
        HTTP_IDEMPOTENCY_KEY="offer-1",
    )
    again = store_erp.post(
        f"/api/v1/complaints/{complaint.number}/offers",
        {"refund": "500.00"},
        HTTP_IDEMPOTENCY_KEY="offer-1",
    )
    assert first.status_code == again.status_code == 422
    assert again.content == first.content


def test_an_upload_sent_again_with_another_multipart_boundary_is_a_replay(store_erp, complaint):
    def upload(boundary):
        photo = SimpleUploadedFile("photo.png", PNG_BYTES, content_type="image/png")
        return store_erp.http.generic(
            "POST",
            f"/api/v1/complaints/{complaint.number}/evidence",
            encode_multipart(boundary, {"kind": "photo", "files": [photo]}),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_AUTHORIZATION=f"Bearer {store_erp.secret}",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = upload("first-boundary"), upload("second-boundary")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Evidence.objects.filter(complaint=complaint).count() == 1


def test_the_same_key_with_another_body_or_address_is_409(store_erp, complaint):
    _message(store_erp, complaint)
    other_body = _message(store_erp, complaint, body="另一条。")
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "idempotency_key_reused"
    other_address = store_erp.post(
        f"/api/v1/complaints/{complaint.number}/refuse",
        {"body": "已发货。"},
        HTTP_IDEMPOTENCY_KEY="msg-1",
    )
    assert other_address.status_code == 409
    assert Message.objects.filter(complaint=complaint).count() == 1


def test_keys_are_each_clients_own(store_erp, store_reader, complaint):
    _message(store_erp, complaint)
    # The same key from another client is another request (and this one may not write).
    assert _message(store_reader, complaint).status_code == 403


def test_a_key_older_than_a_day_is_forgotten_and_acts_again(store_erp, complaint):
    _message(store_erp, complaint)
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _message(store_erp, complaint)
    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert Message.objects.filter(complaint=complaint).count() == 2


def test_expired_keys_and_calls_past_90_days_are_deleted_by_housekeeping(store_erp, complaint):
    _message(store_erp, complaint)
    _message(store_erp, complaint, key="msg-2")
    IdempotencyRecord.objects.filter(key="msg-1").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    ApiCall.objects.filter(idempotency_key="msg-1").update(
        created_at=timezone.now() - timedelta(days=91)
    )
    housekeeping.delay()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["msg-2"]
    assert list(ApiCall.objects.values_list("idempotency_key", flat=True)) == ["msg-2"]


def test_an_overlong_key_is_400(store_erp, complaint):
    response = _message(store_erp, complaint, key="k" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Message.objects.exists()


@pytest.mark.postgres
def test_two_concurrent_requests_with_one_key_act_once(monkeypatch, store_erp, complaint):
    """The first request holds inside the service while the second arrives: the second
    must not run the service, and hears that the first is still running."""
    entered, release = threading.Event(), threading.Event()
    post_message = complaint_endpoints.services.post_message

    def held_post_message(**kwargs):
        entered.set()
        release.wait(timeout=10)
        return post_message(**kwargs)

    monkeypatch.setattr(complaint_endpoints.services, "post_message", held_post_message)
    answers = {}

    def first_request():
        try:
            answers["first"] = _message(store_erp, complaint)
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert entered.wait(timeout=10)
    second = _message(store_erp.with_http(Client()), complaint)
    release.set()
    thread.join(timeout=20)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "idempotency_in_progress"
    assert answers["first"].status_code == 201
    assert Message.objects.filter(complaint=complaint).count() == 1
    replay = _message(store_erp, complaint)
    assert replay.content == answers["first"].content
