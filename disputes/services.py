"""Every write to complaints: one atomic function per user action or system step.

Each one locks the complaint row, checks the actor's right and the state with
`has_transition_perm`, runs the pure transition, writes the related rows (and ledger
entries through `deposits.services`), saves, and notifies the parties on commit.
"""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, has_transition_perm

from deposit_claims.templatetags.ui import money
from deposits import services as ledger
from merchants.models import MerchantMember, Order

from . import compensation, selectors
from .models import ZERO, Complaint, Evidence, Message, Offer, Party
from .notifications import notify
from .permissions import SYSTEM, act_as_consumer, act_for_merchant, is_system
from .uploads import MAX_FILES_PER_PARTY, validate_upload


def _not_allowed(action: str) -> ValidationError:
    return ValidationError(
        _("You cannot %(action)s this complaint now."),
        code="not_allowed",
        params={"action": action},
    )


def _amount(value, *, label, allow_zero=False) -> Decimal:
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise ValidationError(_("%(label)s must be an amount in yuan."), params={"label": label})
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            _("%(label)s can have at most two decimals."), params={"label": label}
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(_("%(label)s must be more than zero."), params={"label": label})
    return amount


def _text(value: str, *, label, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("%(label)s is required."), params={"label": label})
    if len(text) > max_length:
        raise ValidationError(
            _("%(label)s can be at most %(max)s characters."),
            params={"label": label, "max": max_length},
        )
    return text


def _lock(complaint: Complaint, now: datetime) -> Complaint:
    locked = (
        Complaint.objects.select_for_update()
        .select_related("order", "merchant", "consumer")
        .get(pk=complaint.pk)
    )
    return locked.as_of(now)


def _save(complaint: Complaint) -> None:
    try:
        complaint.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("Someone else changed this complaint a moment ago. Reload the page and try again."),
            code="conflict",
        ) from None


def _check(complaint: Complaint, transition, actor, action: str) -> None:
    if not has_transition_perm(transition, actor):
        raise _not_allowed(action)


def _merchant_users(complaint):
    return [
        m.user
        for m in MerchantMember.objects.filter(merchant_id=complaint.merchant_id).select_related(
            "user"
        )
    ]


def _consumer_url(complaint) -> str:
    return reverse("disputes:complaint", kwargs={"number": complaint.number})


def _merchant_url(complaint) -> str:
    return reverse("disputes:seller_complaint", kwargs={"number": complaint.number})


def _party_of(complaint, actor) -> str:
    if act_as_consumer(complaint, actor):
        return Party.CONSUMER
    if act_for_merchant(complaint, actor):
        return Party.MERCHANT
    if actor.is_authenticated and actor.is_staff:
        return Party.PLATFORM
    raise _not_allowed(_("take part in"))


def _log_actor(actor):
    return None if is_system(actor) else actor


# --- filing -------------------------------------------------------------------------------


@transaction.atomic
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
    if kind not in Complaint.Kind.values:
        raise ValidationError(_("Choose what the complaint is about."), code="kind")
    # One filing on an order at a time, so the refund total is checked against settled facts.
    order = Order.objects.select_for_update().select_related("merchant").get(pk=order.pk)
    if kind == Complaint.Kind.SEVEN_DAY_RETURN and return_requested_at is None:
        raise ValidationError(
            _("Tell us when you asked the merchant for the return."), code="return_requested_at"
        )
    if return_requested_at is not None and return_requested_at > now:
        raise ValidationError(
            _("The return request cannot be in the future."), code="return_requested_at"
        )
    refusal = selectors.filing_refusal(
        order=order, consumer=consumer, kind=kind, now=now, return_requested_at=return_requested_at
    )
    if refusal:
        raise ValidationError(refusal, code="refused")
    description = _text(description, label=_("What happened"))
    claimed = _amount(claimed_amount, label=_("The claimed amount"))
    return_shipping = _amount(return_shipping, label=_("Return shipping"), allow_zero=True)
    lines = selectors.suggestion_for(order=order, kind=kind, return_shipping=return_shipping)
    suggested = compensation.total(lines)
    if claimed > suggested:
        raise ValidationError(
            _("The rules allow at most %(max)s for this complaint."),
            code="too_much",
            params={"max": money(suggested)},
        )
    refund = sum((line.amount for line in lines if line.category == "refund"), ZERO)
    refunds_elsewhere = (
        Complaint.objects.filter(order=order)
        .exclude(
            closure_reason__in=[Complaint.ClosureReason.WITHDRAWN, Complaint.ClosureReason.LAPSED]
        )
        .aggregate(total=Sum("suggested_refund"))["total"]
        or ZERO
    )
    if refund and refunds_elsewhere + refund + order.refunded_amount > order.goods_amount:
        raise ValidationError(
            _(
                "Other complaints on this order already claim a refund of what was paid; "
                "refunds cannot exceed %(paid)s."
            ),
            code="refund_total",
            params={"paid": money(order.goods_amount)},
        )
    policy = selectors.deadline_policy(now)
    complaint = Complaint.objects.create(
        order=order,
        consumer=consumer,
        merchant=order.merchant,
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
    stored = []
    try:
        for evidence_kind, file in evidence:
            stored.append(
                _store_evidence(complaint, consumer, Party.CONSUMER, evidence_kind, file, "")
            )
    except Exception:
        for item in stored:
            item.file.delete(save=False)
        raise
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="filed",
        url=_merchant_url(complaint),
        item=order.item_title,
        due=complaint.due_at,
    )
    return complaint


# --- conversation ---------------------------------------------------------------------


@transaction.atomic
def post_message(*, complaint: Complaint, author, body: str, internal: bool = False) -> Message:
    complaint = _lock(complaint, timezone.now())
    party = _party_of(complaint, author)
    if internal and party != Party.PLATFORM:
        raise _not_allowed(_("write internal notes on"))
    if complaint.status == Complaint.Status.CLOSED and party != Party.PLATFORM:
        raise _not_allowed(_("write on"))
    message = Message.objects.create(
        complaint=complaint,
        author=author,
        party=party,
        body=_text(body, label=_("The message")),
        internal=internal,
    )
    if not internal:
        if party != Party.CONSUMER:
            notify(
                users=[complaint.consumer],
                complaint=complaint,
                event="message",
                url=_consumer_url(complaint),
            )
        if party != Party.MERCHANT:
            notify(
                users=_merchant_users(complaint),
                complaint=complaint,
                event="message",
                url=_merchant_url(complaint),
            )
    return message


def _store_evidence(
    complaint: Complaint, uploader, party: str, kind: str, file, description: str
) -> Evidence:
    if kind not in Evidence.Kind.values:
        raise ValidationError(_("Choose the type of evidence."), code="kind")
    content_type = validate_upload(file)
    if complaint.evidence.filter(party=party).count() >= MAX_FILES_PER_PARTY:
        raise ValidationError(
            _("Each side can attach at most %(max)s files to a complaint."),
            code="too_many",
            params={"max": MAX_FILES_PER_PARTY},
        )
    evidence = Evidence(
        complaint=complaint,
        uploaded_by=uploader,
        party=party,
        kind=kind,
        content_type=content_type,
        size=file.size,
        original_name=(getattr(file, "name", "") or "")[-200:],
        description=(description or "").strip()[:300],
    )
    evidence.file.save("upload", file, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


@transaction.atomic
def add_evidence_files(
    *, complaint: Complaint, uploader, kind: str, files, description: str = ""
) -> list[Evidence]:
    """Attach files to a complaint: all of them, or none if any is refused."""
    complaint = _lock(complaint, timezone.now())
    party = _party_of(complaint, uploader)
    if complaint.status in (Complaint.Status.CLOSED, Complaint.Status.WITHDRAWN):
        raise _not_allowed(_("add evidence to"))
    if not files:
        raise ValidationError(_("Choose at least one file."), code="no_files")
    stored = []
    try:
        stored = [_store_evidence(complaint, uploader, party, kind, f, description) for f in files]
    except Exception:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    if party == Party.CONSUMER:
        notify(
            users=_merchant_users(complaint),
            complaint=complaint,
            event="evidence",
            url=_merchant_url(complaint),
        )
    else:
        notify(
            users=[complaint.consumer],
            complaint=complaint,
            event="evidence",
            url=_consumer_url(complaint),
        )
    return stored


@transaction.atomic
def mark_notification_read(*, notification) -> None:
    if notification.read_at is None:
        type(notification).objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )


# --- negotiation --------------------------------------------------------------------------


def _reopen_until(now):
    return now + selectors.deadline_policy(now).days("reopen_days")


def _lapses_at(complaint, now):
    """Seven days from the merchant's first answer, under the policy of that moment."""
    answered = complaint.merchant_answered_at or now
    return answered + selectors.deadline_policy(answered).days("negotiation_lapse_days")


@transaction.atomic
def accept_claim(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.accept_claim, actor, _("accept"))
    complaint.accept_claim(
        reopen_until=_reopen_until(now), by=actor, description=str(_("Accepted the claim as filed"))
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


@transaction.atomic
def refuse_claim(*, complaint: Complaint, actor, reason: str) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
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


@transaction.atomic
def make_offer(
    *, complaint: Complaint, actor, refund: Decimal, compensation_amount: Decimal, note: str = ""
) -> Offer:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.make_offer, actor, _("make an offer on"))
    refund = _amount(refund, label=_("The refund"), allow_zero=True)
    extra = _amount(compensation_amount, label=_("The compensation"), allow_zero=True)
    if refund + extra == 0:
        raise ValidationError(_("An offer must pay something."), code="empty_offer")
    base = complaint.order.goods_amount - complaint.order.refunded_amount
    if refund > base:
        raise ValidationError(
            _("The refund cannot exceed what is left of the payment (%(base)s)."),
            params={"base": money(base)},
        )
    expires_at = now + selectors.deadline_policy(now).hours("offer_acceptance_hours")
    complaint.make_offer(
        offer_expires_at=expires_at,
        lapses_at=_lapses_at(complaint, now),
        by=actor,
        description=str(_("Offered %(amount)s")) % {"amount": money(refund + extra)},
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


def _lock_open_offer(complaint) -> Offer:
    return Offer.objects.select_for_update().get(complaint=complaint, status=Offer.Status.OPEN)


@transaction.atomic
def accept_offer(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.accept_offer, actor, _("accept the offer on"))
    offer = _lock_open_offer(complaint)
    complaint.accept_offer(
        amount=offer.total,
        reopen_until=_reopen_until(now),
        by=actor,
        description=str(_("Accepted the offer of %(amount)s")) % {"amount": money(offer.total)},
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


@transaction.atomic
def decline_offer(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.decline_offer, actor, _("decline the offer on"))
    offer = _lock_open_offer(complaint)
    complaint.decline_offer(by=actor, description=str(_("Declined the offer")))
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


@transaction.atomic
def withdraw_complaint(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.withdraw, actor, _("withdraw"))
    complaint.withdraw(by=actor, description=str(_("Withdrawn by the consumer")))
    _release_hold(complaint, actor, "withdrawal")
    _save(complaint)
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="withdrawn",
        url=_merchant_url(complaint),
    )
    return complaint


# --- platform intervention ----------------------------------------------------------------


def _hold_likely_award(complaint: Complaint, actor, occasion: str) -> None:
    """Freeze the likely award (the claim, at most the suggestion) up to what is available."""
    account = ledger.get_or_open_account(merchant=complaint.merchant)
    likely = min(complaint.claimed_amount, complaint.suggested_amount)
    ledger.hold(
        account=account,
        amount=likely,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:hold:{occasion}",
        actor=_log_actor(actor),
        cap_at_available=True,
    )
    complaint.held_amount = ledger.held_for(account=account, reference=complaint.ledger_reference)


def _release_hold(complaint: Complaint, actor, occasion: str) -> None:
    if not complaint.held_amount:
        return
    account = ledger.get_or_open_account(merchant=complaint.merchant)
    ledger.release_hold(
        account=account,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:release:{occasion}",
        actor=_log_actor(actor),
    )
    complaint.held_amount = ZERO


@transaction.atomic
def escalate_complaint(*, complaint: Complaint, actor, now: datetime | None = None) -> Complaint:
    now = now or timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.escalate, actor, _("escalate"))
    by_system = is_system(actor)
    complaint.escalate(
        by_system=by_system,
        by=_log_actor(actor),
        description=str(
            _("The merchant did not answer in time")
            if by_system
            else _("The consumer asked the platform to step in")
        ),
    )
    _hold_likely_award(complaint, actor, "escalation")
    _save(complaint)
    parties = [complaint.consumer, *_merchant_users(complaint)]
    notify(
        users=parties,
        complaint=complaint,
        event="escalated_silent" if by_system else "escalated",
        url=_consumer_url(complaint),
        held=money(complaint.held_amount),
    )
    return complaint


@transaction.atomic
def reopen_complaint(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.reopen, actor, _("reopen"))
    complaint.reopen(
        by=actor, description=str(_("The consumer reports the settlement was not paid"))
    )
    _hold_likely_award(complaint, actor, "reopening")
    _save(complaint)
    notify(
        users=_merchant_users(complaint),
        complaint=complaint,
        event="reopened",
        url=_merchant_url(complaint),
    )
    return complaint


# --- system steps, run by the deadlines ---------------------------------------------------


@transaction.atomic
def expire_offer(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.expire_offer, SYSTEM, "expire")
    offer = _lock_open_offer(complaint)
    if offer.expires_at > now:
        raise _not_allowed("expire")
    offer.status, offer.responded_at = Offer.Status.EXPIRED, now
    offer.save(update_fields=["status", "responded_at"])
    complaint.expire_offer(description=str(_("The offer expired unanswered")))
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="offer_expired",
        url=_consumer_url(complaint),
        due=complaint.lapses_at,
    )
    return complaint


@transaction.atomic
def lapse_complaint(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.lapse, SYSTEM, "lapse")
    if complaint.lapses_at is None or complaint.lapses_at > now:
        raise _not_allowed("lapse")
    complaint.lapse(
        description=str(_("Neither escalated nor settled within 7 days of the merchant's answer"))
    )
    _save(complaint)
    notify(
        users=[complaint.consumer, *_merchant_users(complaint)],
        complaint=complaint,
        event="lapsed",
        url=_consumer_url(complaint),
    )
    return complaint


@transaction.atomic
def send_reminder(*, complaint: Complaint, now: datetime) -> bool:
    """Remind whoever must act before the current deadline, once per deadline."""
    complaint = _lock(complaint, now)
    if (
        complaint.due_at is None
        or complaint.reminded_for_due_at == complaint.due_at
        or complaint.due_at <= now
    ):
        return False
    merchant_must_act = (
        complaint.status == Complaint.Status.NEGOTIATING and not complaint.merchant_answer
    )
    if merchant_must_act:
        notify(
            users=_merchant_users(complaint),
            complaint=complaint,
            event="reminder",
            url=_merchant_url(complaint),
            due=complaint.due_at,
        )
    else:
        notify(
            users=[complaint.consumer],
            complaint=complaint,
            event="reminder",
            url=_consumer_url(complaint),
            due=complaint.due_at,
        )
    Complaint.objects.filter(pk=complaint.pk).update(reminded_for_due_at=complaint.due_at)
    return True
