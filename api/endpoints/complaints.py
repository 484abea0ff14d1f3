"""A store's complaints: read as the seller dashboard shows them, answered through the
services its buttons call, acting as the client's staff login with its grants."""

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from disputes import party_lists, selectors, services
from disputes.downloads import evidence_download
from disputes.forms import EvidenceForm, MessageForm, OfferForm, RefuseForm
from disputes.models import Complaint
from disputes.timeline import timeline

from ..auth import ApiKeyAuth
from ..errors import ApiError
from ..models import Scope

router = Router(tags=["complaints"], auth=ApiKeyAuth(Scope.COMPLAINTS_READ))
ANSWERING = ApiKeyAuth(Scope.COMPLAINTS_WRITE)
DEFAULT_PAGE = 50
MAX_PAGE = 200


# --- schemas ------------------------------------------------------------------------------


class ComplaintSummary(Schema):
    number: str
    order_number: str
    kind: str
    status: str
    claimed_amount: Decimal
    consumer_name: str = Field(description="Masked, as the seller dashboard shows it.")
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(description="The current deadline, whoever must act.")

    @staticmethod
    def resolve_order_number(complaint):
        return complaint.order.order_number

    @staticmethod
    def resolve_consumer_name(complaint):
        return complaint.consumer.masked_name


class ComplaintPage(Schema):
    items: list[ComplaintSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class Step(Schema):
    at: datetime
    party: str
    kind: str
    title: str
    detail: str
    person: str


class EvidenceOut(Schema):
    id: int
    party: str
    kind: str
    original_name: str
    content_type: str
    size: int
    description: str
    created_at: datetime


class OfferOut(Schema):
    id: int
    refund: Decimal
    compensation: Decimal
    status: str
    note: str
    expires_at: datetime
    created_at: datetime


class ComplaintDetail(ComplaintSummary):
    description: str
    suggested_amount: Decimal | None
    settled_amount: Decimal | None
    merchant_answer: str
    timeline: list[Step]
    evidence: list[EvidenceOut]
    offers: list[OfferOut]

    @staticmethod
    def resolve_timeline(complaint):
        steps = timeline(
            complaint, messages=selectors.messages_visible_to_parties(complaint), viewer="merchant"
        )
        return [
            {
                "at": step.at,
                "party": step.party,
                "kind": step.kind,
                "title": str(step.title),
                "detail": str(step.detail or ""),
                "person": str(step.person or ""),
            }
            for step in steps
        ]

    @staticmethod
    def resolve_evidence(complaint):
        return list(complaint.evidence.all())

    @staticmethod
    def resolve_offers(complaint):
        return list(complaint.offers.all())


class ComplaintFilters(Schema):
    status: Complaint.Status | None = None
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)


class OfferIn(Schema):
    refund: Decimal = Field(examples=["50.00"])
    compensation: Decimal = Field(Decimal("0.00"), examples=["0.00"])
    note: str = ""


class RefuseIn(Schema):
    reason: str


class MessageIn(Schema):
    body: str


class MessageOut(Schema):
    id: int
    body: str
    created_at: datetime


# --- reading ------------------------------------------------------------------------------


def _cursor_of(complaint) -> str:
    position = json.dumps([complaint.updated_at.isoformat(), complaint.pk])
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        updated_at, pk = json.loads(base64.urlsafe_b64decode(padded))
        moment = parse_datetime(updated_at)
        if moment is None or not isinstance(pk, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error):
        raise ApiError(
            422, "invalid_cursor", fields={"cursor": [_("Not a cursor this API gave.")]}
        ) from None
    return moment, pk


def _complaint(request, number: str) -> Complaint:
    """The complaint of the client's store; 404 for any other store's."""
    return selectors.complaint_for_merchant(request.auth.client.merchant, number)


@router.get(
    "", response=ComplaintPage, summary="The store's complaints, least recently changed first"
)
def list_complaints(request, filters: Query[ComplaintFilters]):
    """Ordered by (updated_at, id): to follow changes, keep the last page's `next_cursor`,
    or ask again with `updated_since` (without an offset: Beijing time)."""
    complaints = party_lists.complaints_of_merchant(request.auth.client.merchant)
    if filters.status:
        complaints = complaints.filter(status=filters.status)
    if since := filters.updated_since:
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        complaints = complaints.filter(updated_at__gte=since)
    if filters.cursor:
        updated_at, pk = _position(filters.cursor)
        complaints = complaints.filter(
            Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, pk__gt=pk)
        )
    page = list(complaints.order_by("updated_at", "pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": page, "next_cursor": _cursor_of(page[-1]) if more else None}


@router.get("/{number}", response=ComplaintDetail, summary="One complaint with its timeline")
def read_complaint(request, number: str):
    return _complaint(request, number)


@router.get(
    "/{number}/evidence/{evidence_id}/file",
    summary="One piece of evidence's file, as an attachment",
    response={200: None},
)
def evidence_file(request, number: str, evidence_id: int):
    return evidence_download(_complaint(request, number), evidence_id)


# --- answering ----------------------------------------------------------------------------


def _valid(form):
    """The dashboard's own form, so the API accepts exactly what its page accepts."""
    if not form.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        raise ApiError(422, fields=fields)
    return form.cleaned_data


@router.post(
    "/{number}/accept",
    response=ComplaintDetail,
    auth=ANSWERING,
    summary="Accept the claim as filed",
)
def accept(request, number: str):
    complaint = _complaint(request, number)
    services.accept_claim(complaint=complaint, actor=request.auth.client.user)
    return _complaint(request, number)


@router.post(
    "/{number}/refuse", response=ComplaintDetail, auth=ANSWERING, summary="Refuse, saying why"
)
def refuse(request, number: str, payload: RefuseIn):
    complaint = _complaint(request, number)
    data = _valid(RefuseForm(payload.dict()))
    services.refuse_claim(
        complaint=complaint, actor=request.auth.client.user, reason=data["reason"]
    )
    return _complaint(request, number)


@router.post(
    "/{number}/offers",
    response={201: ComplaintDetail},
    auth=ANSWERING,
    summary="Offer a settlement",
)
def offer(request, number: str, payload: OfferIn):
    complaint = _complaint(request, number)
    data = _valid(OfferForm(payload.dict()))
    services.make_offer(
        complaint=complaint,
        actor=request.auth.client.user,
        refund=data["refund"],
        compensation_amount=data["compensation"],
        note=data["note"],
    )
    return Status(201, _complaint(request, number))


@router.post(
    "/{number}/messages",
    response={201: MessageOut},
    auth=ANSWERING,
    summary="Write to the consumer",
)
def message(request, number: str, payload: MessageIn):
    complaint = _complaint(request, number)
    data = _valid(MessageForm(payload.dict()))
    posted = services.post_message(
        complaint=complaint, author=request.auth.client.user, body=data["body"]
    )
    return Status(201, posted)


@router.post(
    "/{number}/evidence",
    response={201: list[EvidenceOut]},
    auth=ANSWERING,
    summary="Upload evidence files (multipart)",
)
def evidence(
    request,
    number: str,
    kind: Form[str],
    files: File[list[UploadedFile]],
    description: Form[str] = "",
):
    """JPEG, PNG, WebP or PDF, up to 10 MB a file; all the files are kept, or none."""
    complaint = _complaint(request, number)
    data = _valid(EvidenceForm(request.POST, request.FILES))
    stored = services.add_evidence_files(
        complaint=complaint,
        uploader=request.auth.client.user,
        kind=data["kind"],
        files=data["files"],
        description=data["description"],
    )
    return Status(201, stored)
