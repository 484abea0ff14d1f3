"""Caps shared between complaints, and what each complaint counts against them.

Two caps reach across complaints:

- the refunds of one order never exceed what was paid for the goods, less the refunds the
  marketplace already made (every complaint on the order counts its refund);
- the late-shipping awards of one consumer's orders with one store paid within 24 hours
  of each other share one maximum (every late-shipping complaint of the group counts).

A complaint counts what was actually paid or settled, plus what it still reserves while
open; a rejected, withdrawn or lapsed complaint counts nothing. The services that can
raise a count (filing, offers, decisions, appeal revisions) take the claim group's lock
first (``common.db.lock_claim_group``), so two of them never count against the same cap
at once.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from common.prepared import PreparedRead
from merchants.models import Order

from . import compensation
from .models import ZERO, Appeal, AwardLine, Complaint, Decision, Offer

Status = Complaint.Status


@dataclass(frozen=True)
class Count:
    """What one complaint counts: its whole award (the late-shipping cap) and its refund."""

    total: Decimal = ZERO
    refund: Decimal = ZERO


NOTHING = Count()


def _lines_count(lines, *, paid: bool) -> Count:
    amounts = [(line, (line.paid_amount or ZERO) if paid else line.amount) for line in lines]
    return Count(
        total=sum((amount for _line, amount in amounts), ZERO),
        refund=sum(
            (amount for line, amount in amounts if line.category == AwardLine.Category.REFUND),
            ZERO,
        ),
    )


def _paid_to_consumer(complaint: Complaint) -> Count:
    """Every line paid to the consumer: the final award, and what an appeal raised."""
    lines = []
    decision = complaint.final_decision
    if decision is not None and decision.outcome == Decision.Outcome.UPHELD:
        lines.extend(decision.lines.all())
    appeal = getattr(complaint, "appeal_record", None)
    if appeal is not None:
        lines.extend(line for line in appeal.lines.all() if line.paid_to_consumer)
    return _lines_count(lines, paid=True)


def _settlement(complaint: Complaint) -> Count:
    accepted = next((o for o in complaint.offers.all() if o.status == Offer.Status.ACCEPTED), None)
    if complaint.closure_reason == Complaint.ClosureReason.SETTLED_OFFER and accepted:
        return Count(total=accepted.total, refund=accepted.refund)
    # The claim as filed, which never exceeds the suggestion: its refund comes first.
    amount = complaint.settled_amount or ZERO
    return Count(total=amount, refund=min(amount, complaint.suggested_refund))


def counted(complaint: Complaint) -> Count:
    """What the complaint counts against the shared caps now (see the module's text)."""
    status = complaint.status
    if status == Status.WITHDRAWN or complaint.closure_reason == Complaint.ClosureReason.LAPSED:
        return NOTHING
    if status == Status.NEGOTIATING:
        # The suggestion, or an open offer above it: accepting it must not overrun the cap.
        offer = complaint.open_offer
        return Count(
            total=max(complaint.suggested_amount, offer.total if offer else ZERO),
            refund=max(complaint.suggested_refund, offer.refund if offer else ZERO),
        )
    if status == Status.SETTLED:
        return _settlement(complaint)
    if status in (Status.UNDER_REVIEW, Status.AWAITING_INFO):
        return _likely_award(complaint)
    if status in (Status.AWAITING_APPROVAL, Status.AWAITING_MERCHANT_PAYMENT):
        # A page reads the complaint and its decisions in two statements, without a lock:
        # the decision may have been approved or sent back in between.
        decision = complaint.pending_decision or complaint.final_decision
        if decision is None:
            return _likely_award(complaint)
        return _lines_count(decision.lines.all(), paid=False)
    return _paid_to_consumer(complaint)


def _likely_award(complaint: Complaint) -> Count:
    """What the escalation set aside: the claim, at most the suggestion."""
    likely = min(complaint.claimed_amount, complaint.suggested_amount)
    return Count(total=likely, refund=min(likely, complaint.suggested_refund))


def _counted_lookups() -> tuple:
    return (
        "offers",
        Prefetch("decisions", queryset=Decision.objects.prefetch_related("lines")),
        Prefetch("appeal_record", queryset=Appeal.objects.prefetch_related("lines")),
    )


def _with_counts(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return queryset.prefetch_related(*_counted_lookups())


# Read by every filing and decision, and nearly always finds nothing else: compiled once.
_ON_ORDER = PreparedRead(lambda order_id: Complaint.objects.filter(order_id=order_id))


def refunds_by_kind(order: Order) -> dict[str, Decimal]:
    """What each complaint on the order counts as refund (an order has one of each kind)."""
    complaints = _ON_ORDER.all(order.pk)
    prefetch_related_objects(complaints, *_counted_lookups())
    return {complaint.kind: counted(complaint).refund for complaint in complaints}


def refunds_elsewhere(order: Order, *, kind: str, by_kind: dict | None = None) -> Decimal:
    """What the complaints on the order but the one of `kind` count as refunds."""
    if by_kind is None:
        # Most orders have one complaint: then this is one query that finds no other.
        others = [c for c in _ON_ORDER.all(order.pk) if c.kind != kind]
        prefetch_related_objects(others, *_counted_lookups())
        return sum((counted(complaint).refund for complaint in others), ZERO)
    return sum((amount for other, amount in by_kind.items() if other != kind), ZERO)


def late_shipping_elsewhere(order: Order) -> Decimal:
    """What the late-shipping complaints on the consumer's other orders with this store,
    paid within the shared window of this one, count against the shared maximum."""
    window = compensation.LATE_SHIPPING_SHARED_WINDOW
    group = Complaint.objects.filter(
        kind=Complaint.Kind.LATE_SHIPPING,
        consumer_id=order.consumer_id,
        merchant_id=order.merchant_id,
        order__paid_at__gt=order.paid_at - window,
        order__paid_at__lt=order.paid_at + window,
    ).exclude(order_id=order.pk)
    return sum((counted(c).total for c in _with_counts(group)), ZERO)
