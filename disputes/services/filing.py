"""Filing a complaint."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.db import atomic_service, lock_claim_group
from common.prepared import PreparedRead
from deposit_claims.templatetags.ui import money
from merchants.models import Order
from webhooks import events as webhook_events
from webhooks.models import EventType

from .. import caps, compensation, selectors
from ..models import (
    ZERO,
    Complaint,
    Party,
)
from ..notifications import notify
from ..permissions import (
    is_system,
)
from ._common import (
    _amount,
    _merchant_url,
    _merchant_users,
    _not_allowed,
    _store_files,
    _text,
)

# --- filing -------------------------------------------------------------------------------

# Read afresh by every filing: compiled once.
_ORDER = PreparedRead(lambda pk: Order.objects.filter(pk=pk))


@atomic_service
def file_complaint(
    *,
    order: Order,
    consumer,
    kind: str,
    description: str,
    claimed_amount: Decimal,
    return_requested_at: datetime | None = None,
    return_shipping: Decimal = ZERO,
    evidence=(),
) -> Complaint:
    """File a complaint with its first evidence (pairs of evidence type and file)."""
    now = timezone.now()
    if is_system(consumer) or not consumer.is_authenticated:
        raise _not_allowed(_("file"))
    if kind not in Complaint.Kind.values:
        raise ValidationError(_("Choose what the complaint is about."), code="kind")
    order = _ORDER.get(order.pk)
    if order is None:
        raise Order.DoesNotExist("The order is gone.")
    # The caps this complaint shares are read and reserved by one filing at a time.
    lock_claim_group(consumer_id=order.consumer_id, merchant_id=order.merchant_id)
    if kind == Complaint.Kind.SEVEN_DAY_RETURN and return_requested_at is None:
        raise ValidationError(
            _("Tell us when you asked the merchant for the return."), code="return_requested_at"
        )
    if return_requested_at is not None and return_requested_at > now:
        raise ValidationError(
            _("The return request cannot be in the future."), code="return_requested_at"
        )
    refunds_by_kind = caps.refunds_by_kind(order)
    refusal = selectors.filing_refusal(
        order=order,
        consumer=consumer,
        kind=kind,
        now=now,
        refunds_by_kind=refunds_by_kind,
        return_requested_at=return_requested_at,
    )
    if refusal:
        raise ValidationError(refusal, code="refused")
    description = _text(description, label=_("What happened"))
    claimed = _amount(claimed_amount, label=_("The claimed amount"))
    return_shipping = _amount(return_shipping, label=_("Return shipping"), allow_zero=True)
    most_return_shipping = selectors.compensation_rule(order.paid_at).return_shipping_maximum
    if return_shipping > most_return_shipping:
        raise ValidationError(
            _("Return shipping can be at most %(max)s."),
            code="return_shipping",
            params={"max": money(most_return_shipping)},
        )
    lines = selectors.suggestion_for(
        order=order, kind=kind, return_shipping=return_shipping, refunds_by_kind=refunds_by_kind
    )
    if reason := selectors.nothing_left(lines):
        raise ValidationError(reason, code="nothing_left")
    suggested = compensation.total(lines)
    if claimed > suggested:
        raise ValidationError(
            _("The rules allow at most %(max)s for this complaint."),
            code="too_much",
            params={"max": money(suggested)},
        )
    refund = compensation.total([line for line in lines if line.category == compensation.REFUND])
    policy = selectors.deadline_policy(now)
    complaint = Complaint.objects.create(
        order=order,
        consumer=consumer,
        merchant_id=order.merchant_id,
        kind=kind,
        description=description,
        claimed_amount=claimed,
        suggested_amount=suggested,
        suggested_refund=refund,
        return_requested_at=return_requested_at,
        return_shipping=return_shipping,
        due_at=now + policy.hours("merchant_response_hours"),
        created_at=now,
    )
    _store_files(
        complaint,
        consumer,
        Party.CONSUMER,
        [(evidence_kind, file) for evidence_kind, file in evidence],
    )
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="filed",
        url=_merchant_url(complaint),
        item=order.item_title,
        due=complaint.due_at,
    )
    webhook_events.complaint_event(
        EventType.COMPLAINT_FILED,
        complaint,
        at=now,
        order=order.order_number,
        kind=complaint.kind,
        status=complaint.status,
        claimed_amount=webhook_events.money(claimed),
        due_at=webhook_events.moment(complaint.due_at),
    )
    return complaint
