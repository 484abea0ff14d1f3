"""Reads of complaints shared by several pages, always scoped to the person asking."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.db.models import (
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils.translation import gettext as _

from common import effective
from common.dates import local_datetime
from common.prepared import PreparedCount, PreparedPrefetch, PreparedRead
from deposits.models import Disbursement
from merchants.models import Merchant, Order

from . import caps, compensation
from .compensation import total
from .models import (
    ZERO,
    AwardLine,
    CompensationRule,
    Complaint,
    ConsumerStrike,
    DeadlinePolicy,
    Decision,
    Evidence,
    Holiday,
    InfoRequest,
    Message,
    Notification,
    Offer,
)
from .working_days import add_working_days

STRIKE_WINDOW = timedelta(days=365)
STRIKES_TO_RESTRICT = 2
RESTRICTION = timedelta(days=90)

LIVE_STATUSES = (
    Complaint.Status.NEGOTIATING,
    Complaint.Status.UNDER_REVIEW,
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.AWAITING_APPROVAL,
    Complaint.Status.AWAITING_MERCHANT_PAYMENT,
    Complaint.Status.UNDER_APPEAL,
)


def deadline_policy(at: datetime) -> DeadlinePolicy:
    return DeadlinePolicy.in_force(at) or DeadlinePolicy()


def decision_due(escalated_at: datetime) -> datetime:
    """The 4-working-day decision target of the policy in force at escalation."""
    days = deadline_policy(escalated_at).decision_working_days
    holidays = {holiday.date for holiday in effective.rows(Holiday, order_by="date")}
    return add_working_days(escalated_at, days, holidays)


def compensation_rule(at: datetime) -> CompensationRule:
    return CompensationRule.in_force(at) or CompensationRule()


# Read by every filing and by the filing page: compiled once.
_STRIKES_SINCE = PreparedRead(
    lambda consumer_id, since: (
        ConsumerStrike.objects.filter(
            consumer_id=consumer_id, removed_at__isnull=True, created_at__gt=since
        )
        .values_list("created_at")
        .order_by("created_at")
    ),
    keys=(int, datetime),
)


def filing_restricted_until(consumer, now: datetime) -> datetime | None:
    """Two strikes within 12 months restrict filing for 90 days from the second."""
    since = now - STRIKE_WINDOW - RESTRICTION
    strikes = [created_at for (created_at,) in _STRIKES_SINCE.rows(consumer.pk, since)]
    for earlier, later in pairwise(strikes):
        if later - earlier <= STRIKE_WINDOW and now < later + RESTRICTION:
            return later + RESTRICTION
    return None


# The case file's complaint with the people and records its page names: who recorded a
# payment, answered an appeal.
_CASE_FILE_RELATED = (
    "order",
    "merchant",
    "consumer",
    "appeal_record__responded_by",
    "direct_payment__recorded_by",
    "payout_destination",
)


# What a party's page of the complaint shows besides the complaint, a fixed number of
# queries whatever the complaint holds; the rows of every complaint read by queries
# compiled once per process.
_CASE_FILE_ROWS = (
    PreparedPrefetch(
        "offers", lambda pk: Offer.objects.select_related("made_by").filter(complaint_id=pk)
    ),
    PreparedPrefetch(
        "evidence",
        lambda pk: Evidence.objects.select_related("uploaded_by").filter(complaint_id=pk),
    ),
    PreparedPrefetch("decisions", lambda pk: Decision.objects.filter(complaint_id=pk)),
    PreparedPrefetch(
        "info_requests",
        lambda pk: InfoRequest.objects.select_related("answered_by").filter(complaint_id=pk),
    ),
)


def _paid_lines() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=AwardLine.objects.select_related("ledger_entry").prefetch_related(
            "ledger_entry__disbursements"
        ),
    )


# Read on every page of a complaint and every action a party takes on one, its widest read
# (six tables joined): compiled once.
_CASE_FILE_OF_CONSUMER = PreparedRead(
    lambda consumer_id, number: Complaint.objects.filter(
        consumer_id=consumer_id, number=number
    ).select_related(*_CASE_FILE_RELATED),
    keys=(int, str),
)
_CASE_FILE_OF_STORE = PreparedRead(
    lambda merchant_id, number: Complaint.objects.filter(
        merchant_id=merchant_id, number=number
    ).select_related(*_CASE_FILE_RELATED),
    keys=(int, str),
)


def _case_file(complaint: Complaint | None) -> Complaint:
    if complaint is None:
        raise Http404
    for read in _CASE_FILE_ROWS:
        read(complaint)
    decisions = list(complaint.decisions.all())
    if decisions:
        prefetch_related_objects(decisions, _paid_lines(), "evidence_relied_on")
    appeal = getattr(complaint, "appeal_record", None)
    if appeal is not None:
        prefetch_related_objects([appeal], _paid_lines())
    return complaint


# Stages after which the platform may still pay the consumer from the deposit: a payout
# account chosen here is where that money goes.
PAYOUT_MAY_COME = (
    Complaint.Status.UNDER_REVIEW,
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.AWAITING_APPROVAL,
    Complaint.Status.AWAITING_MERCHANT_PAYMENT,
    Complaint.Status.UNDER_APPEAL,
)


def consumer_payouts(complaint: Complaint) -> list:
    """The complaint's payouts to the consumer, oldest first, from what the case file
    prefetched (`_case_file`): no query of their own."""
    lines = [line for decision in complaint.decisions.all() for line in decision.lines.all()]
    appeal = getattr(complaint, "appeal_record", None)
    if appeal is not None:
        lines += list(appeal.lines.all())
    payouts = {
        payout.pk: payout
        for line in lines
        if line.ledger_entry is not None
        for payout in line.ledger_entry.disbursements.all()
        if payout.payee_kind == Disbursement.PayeeKind.CONSUMER
    }
    return sorted(payouts.values(), key=lambda payout: (payout.created_at, payout.pk))


def may_choose_payout_account(complaint: Complaint, payouts: list) -> bool:
    """While a payout is unsent, or before any while the platform may still pay."""
    if payouts:
        return any(payout.status != Disbursement.Status.SENT for payout in payouts)
    return complaint.status in PAYOUT_MAY_COME


def complaint_for_consumer(user, number: str) -> Complaint:
    """The consumer's complaint of this number with its case file; 404 for anyone else's."""
    return _case_file(_CASE_FILE_OF_CONSUMER.get(user.pk, number))


def complaint_for_merchant(merchant, number: str) -> Complaint:
    """The store's complaint of this number with its case file; 404 for another store's."""
    return _case_file(_CASE_FILE_OF_STORE.get(merchant.pk, number))


# Sub-searches matching more rows than this stay subqueries: correct, if slower.
SEARCH_IDS_AT_MOST = 1000


def console_search(term: str) -> Q:
    """Complaints whose number, order number, consumer login or name, or store code or name
    starts with `term` (a store's name may also contain it): each a prefix an index answers.

    The orders, people and stores found are passed as lists of ids: PostgreSQL cannot turn
    `IN (subquery)` conditions joined by OR into index conditions, and would walk the whole
    queue instead. A term so broad that a list would be long keeps its subquery."""
    orders = Order.objects.filter(order_number__startswith=term)
    people = get_user_model().objects.filter(
        Q(username__startswith=term.lower()) | Q(display_name__startswith=term)
    )
    stores = Merchant.objects.filter(Q(code__startswith=term.lower()) | Q(name__contains=term))
    return (
        Q(number__startswith=term.upper())
        | Q(order_id__in=_ids_or_subquery(orders))
        | Q(consumer_id__in=_ids_or_subquery(people))
        | Q(merchant_id__in=_ids_or_subquery(stores))
    )


def _ids_or_subquery(queryset):
    ids = list(queryset.values_list("pk", flat=True)[: SEARCH_IDS_AT_MOST + 1])
    return ids if len(ids) <= SEARCH_IDS_AT_MOST else queryset.values("pk")


# Read on every page of a complaint: compiled once.
_MESSAGES_TO_PARTIES = PreparedRead(
    lambda pk: Message.objects.filter(complaint_id=pk, internal=False).select_related("author")
)


def messages_visible_to_parties(complaint) -> list[Message]:
    """The complaint's messages both parties see (not the platform's internal notes), oldest
    first, each with its author."""
    return _MESSAGES_TO_PARTIES.all(complaint.pk)


def order_for_consumer(user, order_number: str) -> Order:
    try:
        return Order.objects.select_related("merchant").get(
            consumer=user, order_number=order_number
        )
    except Order.DoesNotExist:
        raise Http404 from None


# Every party page's bell: compiled once.
_UNREAD = PreparedCount(
    lambda user_id: Notification.objects.filter(user_id=user_id, read_at__isnull=True)
)


def unread_notification_count(user, *, up_to: int) -> int:
    """The reader's unread notices, counted no further than `up_to`: a busy store's owner
    has thousands, and the bell shows "99+" for all of them."""
    return _UNREAD.count(user.pk, up_to=up_to)


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("complaint")


RECEIPTS = (Evidence.Kind.LOGISTICS_RECORD, Evidence.Kind.PAYMENT_VOUCHER)


def suggestion_for(
    *,
    order: Order,
    kind: str,
    return_shipping: Decimal = ZERO,
    return_shipping_receipt: bool = True,
    available_for_multiple=None,
    refunds_by_kind: dict | None = None,
):
    """The itemised rule-based award for a kind of complaint on an order, within what the
    other complaints (those of other kinds on the order, or of the consumer's other orders)
    already count against the shared caps. `refunds_by_kind`: `caps.refunds_by_kind(order)`
    when the caller has read it already."""
    rules = compensation_rule(order.paid_at).as_rules()
    return compensation.suggest_award(
        kind,
        compensation.facts_from_order(order),
        rules,
        return_shipping=return_shipping,
        late_ship_already_awarded=(
            caps.late_shipping_elsewhere(order) if kind == Complaint.Kind.LATE_SHIPPING else ZERO
        ),
        refunded_elsewhere=(
            caps.refunds_elsewhere(order, kind=kind, by_kind=refunds_by_kind)
            if kind in compensation.REFUNDING_KINDS
            else ZERO
        ),
        return_shipping_receipt=return_shipping_receipt,
        available_for_multiple=available_for_multiple,
    )


def nothing_left(lines) -> str | None:
    """Why nothing can be claimed, when every line of a suggestion comes to nothing."""
    if total(lines):
        return None
    return _("Nothing is left to claim for this: %(why)s.") % {
        "why": "; ".join(str(line.explanation) for line in lines)
    }


# What a decision reads of the evidence when the page did not load it: compiled once.
_EVIDENCE_KINDS = PreparedRead(
    lambda complaint_id: Evidence.objects.filter(complaint_id=complaint_id).values_list(
        "party", "kind"
    )
)


def has_return_shipping_receipt(complaint: Complaint) -> bool:
    """A logistics record or payment voucher of the consumer's among the evidence."""
    if "evidence" in getattr(complaint, "_prefetched_objects_cache", {}):
        kinds = [(evidence.party, evidence.kind) for evidence in complaint.evidence.all()]
    else:
        kinds = _EVIDENCE_KINDS.rows(complaint.pk)
    return any(party == "consumer" and kind in RECEIPTS for party, kind in kinds)


def suggestion_for_complaint(complaint: Complaint):
    """What the rules allow this complaint now: the suggestion a decision is held to. The
    evidence is read only when a receipt can change it: for return shipping declared (the
    one line a receipt decides), not on every decision."""
    return suggestion_for(
        order=complaint.order,
        kind=complaint.kind,
        return_shipping=complaint.return_shipping,
        return_shipping_receipt=bool(complaint.return_shipping)
        and has_return_shipping_receipt(complaint),
    )


def _refusal(
    *, kind, order, consumer, rules, restricted_until, existing_kinds, now, return_requested_at
):
    if order.consumer_id != consumer.pk:
        return _("This is not your order.")
    if restricted_until:
        return _(
            "After two complaints rejected as malicious you cannot file new ones until %(date)s."
        ) % {"date": local_datetime(restricted_until)}
    if kind in existing_kinds:
        return _(
            "There is already a complaint of this kind on this order; it cannot be filed again."
        )
    return compensation.check_filing(
        kind,
        compensation.facts_from_order(order),
        rules,
        now,
        return_requested_at=return_requested_at,
    )


def filing_refusal(
    *,
    order: Order,
    consumer,
    kind: str,
    now: datetime,
    refunds_by_kind: dict[str, Decimal],
    return_requested_at=None,
) -> str | None:
    """Why this consumer cannot file this kind of complaint on this order now, or None.
    `refunds_by_kind`: `caps.refunds_by_kind(order)`, the complaints already on the order,
    which the filing reads once for this and for the refund cap."""
    return _refusal(
        kind=kind,
        order=order,
        consumer=consumer,
        rules=compensation_rule(order.paid_at).as_rules(),
        restricted_until=filing_restricted_until(consumer, now),
        existing_kinds=set(refunds_by_kind),
        now=now,
        return_requested_at=return_requested_at,
    )


@dataclass(frozen=True)
class FilingOption:
    kind: str
    label: str
    refusal: str | None
    maximum: Decimal | None


def filing_options(*, order: Order, consumer, now: datetime) -> list[FilingOption]:
    """Each kind of complaint: whether it can be filed on this order now, and the most it pays."""
    rules = compensation_rule(order.paid_at).as_rules()
    facts = compensation.facts_from_order(order)
    restricted_until = filing_restricted_until(consumer, now)
    refunds = caps.refunds_by_kind(order)
    existing_kinds = set(refunds)
    options = []
    for kind, label in Complaint.Kind.choices:
        # A return request can only date from delivery on; the form asks for the real time.
        requested = order.delivered_at if kind == Complaint.Kind.SEVEN_DAY_RETURN else None
        refusal = _refusal(
            kind=kind,
            order=order,
            consumer=consumer,
            rules=rules,
            restricted_until=restricted_until,
            existing_kinds=existing_kinds,
            now=now,
            return_requested_at=requested,
        )
        maximum = None
        if refusal is None:
            lines = compensation.suggest_award(
                kind,
                facts,
                rules,
                late_ship_already_awarded=(
                    caps.late_shipping_elsewhere(order)
                    if kind == Complaint.Kind.LATE_SHIPPING
                    else ZERO
                ),
                refunded_elsewhere=(
                    caps.refunds_elsewhere(order, kind=kind, by_kind=refunds)
                    if kind in compensation.REFUNDING_KINDS
                    else ZERO
                ),
            )
            refusal = nothing_left(lines)
            maximum = None if refusal else total(lines)
        options.append(FilingOption(kind, label, refusal, maximum))
    return options
