"""Negotiation between consumer and merchant, and the deadlines' steps in it."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service
from common.recorded_text import recorded
from deposit_claims.templatetags.ui import money
from webhooks import events as webhook_events
from webhooks.models import EventType

from .. import caps, selectors
from ..models import (
    ZERO,
    Complaint,
    Offer,
    Party,
)
from ..notifications import notify
from ..permissions import (
    SYSTEM,
)
from ._common import (
    _amount,
    _check,
    _check_grants,
    _consumer_url,
    _lock,
    _lock_claim_group_of,
    _merchant_url,
    _merchant_users,
    _not_allowed,
    _notify_both,
    _release_hold,
    _save,
    _text,
)

# --- negotiation --------------------------------------------------------------------------


def _reopen_until(now):
    return now + selectors.deadline_policy(now).days("reopen_days")


def _lapses_at(complaint, now):
    """Seven days from the merchant's first answer, under the policy of that moment."""
    answered = complaint.merchant_answered_at or now
    return answered + selectors.deadline_policy(answered).days("negotiation_lapse_days")


@atomic_service
def accept_claim(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check_grants(complaint, actor, settling=complaint.claimed_amount)
    _check(complaint, complaint.accept_claim, actor, _("accept"))
    complaint.accept_claim(
        reopen_until=_reopen_until(now),
        by=actor,
        description=recorded(gettext_noop("Accepted the claim as filed")),
    )
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="accepted",
        url=_consumer_url(complaint),
        amount=money(complaint.claimed_amount),
    )
    return complaint


@atomic_service
def refuse_claim(*, complaint: Complaint, actor, reason: str) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check_grants(complaint, actor)
    _check(complaint, complaint.refuse, actor, _("refuse"))
    reason = _text(reason, label=_("The reason"), max_length=2000)
    complaint.refuse(
        reason=reason, lapses_at=_lapses_at(complaint, now), by=actor, description=reason
    )
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="refused",
        url=_consumer_url(complaint),
        due=complaint.lapses_at,
    )
    return complaint


@atomic_service
def make_offer(
    *, complaint: Complaint, actor, refund: Decimal, compensation_amount: Decimal, note: str = ""
) -> Offer:
    now = timezone.now()
    _lock_claim_group_of(complaint)
    complaint = _lock(complaint, now)
    # May this member settle at all; then, once the amounts are known, that much.
    _check_grants(complaint, actor, settling=ZERO)
    _check(complaint, complaint.make_offer, actor, _("make an offer on"))
    refund = _amount(refund, label=_("The refund"), allow_zero=True)
    extra = _amount(compensation_amount, label=_("The compensation"), allow_zero=True)
    if refund + extra == 0:
        raise ValidationError(_("An offer must pay something."), code="empty_offer")
    _check_grants(complaint, actor, settling=refund + extra)
    _check_offer_within_caps(complaint, refund=refund, total=refund + extra)
    expires_at = now + selectors.deadline_policy(now).hours("offer_acceptance_hours")
    complaint.make_offer(
        offer_expires_at=expires_at,
        lapses_at=_lapses_at(complaint, now),
        by=actor,
        description=recorded(gettext_noop("Offered %(amount)s"), amount=money(refund + extra)),
    )
    offer = Offer.objects.create(
        complaint=complaint,
        refund=refund,
        compensation=extra,
        note=(note or "").strip()[:2000],
        expires_at=expires_at,
        made_by=actor,
        created_at=now,
    )
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="offer_made",
        url=_consumer_url(complaint),
        amount=money(offer.total),
        due=expires_at,
    )
    return offer


def _check_offer_within_caps(complaint: Complaint, *, refund: Decimal, total: Decimal) -> None:
    """An offer settles the claim: it refunds no more than is left of the payment, and a
    late-shipping offer pays no more than is left of the shared maximum."""
    order = complaint.order
    refundable = max(
        order.goods_amount
        - order.refunded_amount
        - caps.refunds_elsewhere(order, kind=complaint.kind),
        ZERO,
    )
    if refund > refundable:
        raise ValidationError(
            _(
                "The refund can be at most %(max)s: what was paid for the goods, less what was "
                "already refunded and what other complaints on this order refund or claim."
            ),
            code="refund_total",
            params={"max": money(refundable)},
        )
    if complaint.kind != Complaint.Kind.LATE_SHIPPING:
        return
    maximum = selectors.compensation_rule(order.paid_at).late_ship_maximum
    room = max(maximum - caps.late_shipping_elsewhere(order), ZERO)
    if total > room:
        raise ValidationError(
            _(
                "Orders paid within 24 hours of each other share one %(maximum)s limit for late "
                "shipping; this offer can pay at most %(max)s."
            ),
            code="late_shipping_cap",
            params={"maximum": money(maximum), "max": money(room)},
        )


def _lock_open_offer(complaint) -> Offer:
    return Offer.objects.select_for_update(no_key=True).get(
        complaint=complaint, status=Offer.Status.OPEN
    )


@atomic_service
def accept_offer(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.accept_offer, actor, _("accept the offer on"))
    offer = _lock_open_offer(complaint)
    complaint.accept_offer(
        amount=offer.total,
        reopen_until=_reopen_until(now),
        by=actor,
        description=recorded(
            gettext_noop("Accepted the offer of %(amount)s"), amount=money(offer.total)
        ),
    )
    offer.status, offer.responded_at = Offer.Status.ACCEPTED, now
    offer.save(update_fields=["status", "responded_at"])
    _save(complaint)
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="offer_accepted",
        url=_merchant_url(complaint),
        amount=money(offer.total),
    )
    return complaint


@atomic_service
def decline_offer(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """The consumer turns the offer down, saying why: the merchant reads it in the timeline."""
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.decline_offer, actor, _("decline the offer on"))
    reason = _text(reason, label=_("The reason for declining"), max_length=1000)
    offer = _lock_open_offer(complaint)
    complaint.decline_offer(by=actor, description=reason)
    offer.status, offer.responded_at = Offer.Status.DECLINED, now
    offer.save(update_fields=["status", "responded_at"])
    _save(complaint)
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="offer_declined",
        url=_merchant_url(complaint),
    )
    return complaint


@atomic_service
def withdraw_complaint(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.withdraw, actor, _("withdraw"))
    complaint.withdraw(by=actor, description=recorded(gettext_noop("Withdrawn by the consumer")))
    _release_hold(complaint, actor, "withdrawal")
    _save(complaint)
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="withdrawn",
        url=_merchant_url(complaint),
    )
    return complaint


# --- system steps, run by the deadlines ---------------------------------------------------


@atomic_service
def expire_offer(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.expire_offer, SYSTEM, _("expire"))
    offer = _lock_open_offer(complaint)
    if offer.expires_at > now:
        raise _not_allowed(_("expire"))
    offer.status, offer.responded_at = Offer.Status.EXPIRED, now
    offer.save(update_fields=["status", "responded_at"])
    complaint.expire_offer(description=recorded(gettext_noop("The offer expired unanswered")))
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="offer_expired",
        url=_consumer_url(complaint),
        due=complaint.lapses_at,
    )
    return complaint


@atomic_service
def lapse_complaint(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.lapse, SYSTEM, _("lapse"))
    if complaint.lapses_at is None or complaint.lapses_at > now:
        raise _not_allowed(_("lapse"))
    complaint.lapse(
        description=recorded(
            gettext_noop("Neither escalated nor settled within 7 days of the merchant's answer")
        )
    )
    _save(complaint)
    _notify_both(complaint, "lapsed")
    return complaint


def _parties_to_act(complaint) -> set[str]:
    status = complaint.status
    if status == Complaint.Status.NEGOTIATING:
        return {Party.CONSUMER if complaint.merchant_answer else Party.MERCHANT}
    if status == Complaint.Status.AWAITING_INFO:
        return {
            r.party
            for r in complaint.info_requests.all()
            if r.is_open and r.due_at == complaint.due_at
        }
    if status == Complaint.Status.AWAITING_MERCHANT_PAYMENT:
        return {Party.MERCHANT}
    if status == Complaint.Status.UNDER_APPEAL:
        appeal = getattr(complaint, "appeal_record", None)
        return (
            {Party.MERCHANT if appeal.party == Party.CONSUMER else Party.CONSUMER}
            if appeal
            else set()
        )
    return set()


@atomic_service
def send_reminder(*, complaint: Complaint, now: datetime) -> bool:
    """Remind whoever must act before the current deadline, once per deadline."""
    complaint = _lock(complaint, now)
    if (
        complaint.due_at is None
        or complaint.reminded_for_due_at == complaint.due_at
        or complaint.due_at <= now
    ):
        return False
    parties = _parties_to_act(complaint)
    for party in parties:
        if party == Party.MERCHANT:
            users, url = _merchant_users(complaint), _merchant_url(complaint)
        else:
            users, url = [complaint.consumer], _consumer_url(complaint)
        notify(users=users, complaint=complaint, event="reminder", url=url, due=complaint.due_at)
    Complaint.objects.filter(pk=complaint.pk).update(reminded_for_due_at=complaint.due_at)
    webhook_events.complaint_event(
        EventType.COMPLAINT_REMINDER,
        complaint,
        at=now,
        status=complaint.status,
        due_at=webhook_events.moment(complaint.due_at),
        waiting_for=sorted(parties),
    )
    return True
