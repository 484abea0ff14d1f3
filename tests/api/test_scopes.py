"""Every endpoint, refused to each client without its scope (403) and, for a store's
complaints, to the client of another store (404), with nothing changed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import Scope
from disputes.models import Evidence, Message, Offer
from tests.api.conftest import make_caller
from tests.factories import PNG_BYTES, ComplaintFactory, OrderFactory

pytestmark = pytest.mark.django_db

# (method, path, body, the scope it needs); {number}, {payout} and {order} are filled in.
ENDPOINTS = [
    ("post", "/api/v1/orders/batch", {"orders": []}, Scope.ORDERS_WRITE),
    ("post", "/api/v1/orders", {}, Scope.ORDERS_WRITE),
    ("put", "/api/v1/orders/{order}", {}, Scope.ORDERS_WRITE),
    ("get", "/api/v1/orders/{order}", None, Scope.ORDERS_WRITE),
    ("get", "/api/v1/complaints", None, Scope.COMPLAINTS_READ),
    ("get", "/api/v1/complaints/{number}", None, Scope.COMPLAINTS_READ),
    ("post", "/api/v1/complaints/{number}/accept", {}, Scope.COMPLAINTS_WRITE),
    ("post", "/api/v1/complaints/{number}/refuse", {"reason": "x"}, Scope.COMPLAINTS_WRITE),
    ("post", "/api/v1/complaints/{number}/offers", {"refund": "1.00"}, Scope.COMPLAINTS_WRITE),
    ("post", "/api/v1/complaints/{number}/messages", {"body": "x"}, Scope.COMPLAINTS_WRITE),
    ("post", "/api/v1/complaints/{number}/evidence", {"kind": "photo"}, Scope.COMPLAINTS_WRITE),
    ("get", "/api/v1/payouts", None, Scope.DISBURSEMENTS_WRITE),
    ("get", "/api/v1/payouts/{payout}", None, Scope.DISBURSEMENTS_WRITE),
    (
        "post",
        "/api/v1/payouts/{payout}/sent",
        {"external_reference": "AP-1", "destination_version": 1},
        Scope.DISBURSEMENTS_WRITE,
    ),
    ("post", "/api/v1/payouts/{payout}/failed", {"reason": "x"}, Scope.DISBURSEMENTS_WRITE),
]


@pytest.fixture
def callers(client, superuser, store):
    """One client for each scope alone."""
    return {
        scope: make_caller(
            client,
            superuser,
            name=f"Only {scope.value}",
            scopes=[scope],
            merchant=store if scope in (Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE) else None,
        )
        for scope in Scope
    }


def _call(caller, method, path, body):
    if method == "get":
        return caller.get(path)
    if path.endswith("/evidence"):
        photo = SimpleUploadedFile("photo.png", PNG_BYTES, content_type="image/png")
        return caller.upload(path, {**body, "files": [photo]})
    return getattr(caller, method)(path, body)


@pytest.mark.parametrize(("method", "path", "body", "needed"), ENDPOINTS)
def test_each_endpoint_is_403_without_its_scope(
    callers, store, pending_payout, method, path, body, needed
):
    complaint = ComplaintFactory(order=OrderFactory(merchant=store))
    order = OrderFactory(merchant=store)
    address = path.format(number=complaint.number, payout=pending_payout.pk, order=order.pk)
    address = address.replace(str(order.pk), order.order_number) if "{order}" in path else address
    for scope, caller in callers.items():
        if scope == needed:
            continue
        response = _call(caller, method, address, body)
        assert response.status_code == 403, (scope, response.content)
        assert response.json()["error"]["code"] == "scope_missing"
    complaint.refresh_from_db()
    pending_payout.refresh_from_db()
    assert complaint.status == "negotiating"
    assert not (Offer.objects.exists() or Message.objects.exists() or Evidence.objects.exists())
    assert pending_payout.status == "pending"


COMPLAINT_ENDPOINTS = [e for e in ENDPOINTS if "{number}" in e[1]]


@pytest.mark.parametrize(("method", "path", "body", "needed"), COMPLAINT_ENDPOINTS)
def test_each_complaint_endpoint_is_404_for_another_stores_complaint(
    store_erp, other_store, method, path, body, needed
):
    elsewhere = ComplaintFactory(order=OrderFactory(merchant=other_store))
    response = _call(store_erp, method, path.format(number=elsewhere.number), body)
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == "negotiating"
    assert not (Offer.objects.exists() or Message.objects.exists() or Evidence.objects.exists())
