"""Payouts for the payment system: the queue finance sends from, and what became of each
transfer, through the same services as the console's buttons."""

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from deposits import selectors, services
from deposits.forms import MarkFailedForm, PaymentReferenceForm
from deposits.models import Disbursement

from ..auth import ApiKeyAuth
from ..models import Scope
from .complaints import _valid

router = Router(tags=["payouts"], auth=ApiKeyAuth(Scope.DISBURSEMENTS_WRITE))
DEFAULT_PAGE = 100
MAX_PAGE = 500


class PayoutOut(Schema):
    id: int
    status: str
    amount: Decimal
    payee_kind: str
    method: str
    bank_name: str = Field(description="For a bank transfer.")
    holder_name: str
    account_number: str = Field(description="Whole, for sending; empty once not pending.")
    destination_version: int = Field(
        description="Send it back with `sent`: a changed account refuses the report."
    )
    reference: str
    external_reference: str
    failure_reason: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_bank_name(payout):
        return payout.payee_bank

    @staticmethod
    def resolve_holder_name(payout):
        return payout.payee_name

    @staticmethod
    def resolve_account_number(payout):
        destination = payout.destination
        if destination is None or payout.status != Disbursement.Status.PENDING:
            return ""
        return destination.number()


class PayoutPage(Schema):
    items: list[PayoutOut]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


class PayoutFilters(Schema):
    after: int | None = Field(None, description="The last id of the previous page.")
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)


class SentIn(Schema):
    external_reference: str = Field(description="Alipay's or the bank's reference.")
    destination_version: int = Field(description="As the payout was listed.")


class FailedIn(Schema):
    reason: str


def _payout(payout_id: int) -> Disbursement:
    return get_object_or_404(Disbursement, pk=payout_id)


@router.get("", response=PayoutPage, summary="Payouts to send, oldest first")
def payouts_to_send(request, filters: Query[PayoutFilters]):
    """The console's "Payouts to send": pending, each with where it goes."""
    payouts = selectors.payouts_to_send().order_by("pk")
    if filters.after is not None:
        payouts = payouts.filter(pk__gt=filters.after)
    page = list(payouts[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": page, "next_after": page[-1].pk if more else None}


@router.get("/{payout_id}", response=PayoutOut, summary="One payout")
def read_payout(request, payout_id: int):
    return _payout(payout_id)


@router.post("/{payout_id}/sent", response=PayoutOut, summary="Report a payout sent")
def mark_sent(request, payout_id: int, payload: SentIn):
    """Reporting it again with the same reference answers the same, and changes nothing."""
    payout = _payout(payout_id)
    data = _valid(
        PaymentReferenceForm(
            {
                "external_reference": payload.external_reference,
                "destination_version": payload.destination_version,
            }
        )
    )
    return services.mark_disbursement_sent(
        disbursement=payout,
        external_reference=data["external_reference"],
        actor=request.auth.client.user,
        destination_version=data["destination_version"],
    )


@router.post("/{payout_id}/failed", response=PayoutOut, summary="Report a payout failed")
def mark_failed(request, payout_id: int, payload: FailedIn):
    """Reporting it again answers the same, and changes nothing."""
    payout = _payout(payout_id)
    data = _valid(MarkFailedForm({"reason": payload.reason}))
    return services.mark_disbursement_failed(
        disbursement=payout, reason=data["reason"], actor=request.auth.client.user
    )
