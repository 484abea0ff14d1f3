"""Every write to complaints: one atomic function per user action or system step.

Each one locks the complaint row, checks the actor's right and the state with
`has_transition_perm`, runs the pure transition, writes the related rows (and ledger
entries through `deposits.services`), saves, and notifies the parties on commit.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, has_transition_perm
from django_fsm_log.models import StateLog

from common import pagecache
from common.db import atomic_service, lock_claim_group, update_rows
from common.fsmlog import collected_logs
from deposit_claims.templatetags.ui import money
from deposits import services as ledger
from deposits.models import DepositAccount, Disbursement, PayoutAccount
from merchants.models import MerchantMember, Order

from . import caps, compensation, selectors
from . import notifications as notices
from .models import (
    COMPLAINT_REFERENCE,
    QUEUE_ORDER,
    ZERO,
    Appeal,
    AwardLine,
    Complaint,
    ConsumerStrike,
    Decision,
    DirectPayment,
    Evidence,
    InfoRequest,
    Message,
    Offer,
    Party,
)
from .notifications import Notice, notify, notify_many
from .permissions import (
    SYSTEM,
    act_as_consumer,
    act_for_merchant,
    is_reviewer,
    is_system,
    store_membership,
)
from .uploads import MAX_FILES_PER_PARTY, checked_upload


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
    # The complaint's row alone: its order, store (and its deposit account, for the steps
    # that move money) and consumer are read, never locked.
    locked = (
        Complaint.objects.select_for_update(no_key=True, of=("self",))
        .select_related("order", "merchant__deposit_account", "consumer", "payout_destination")
        .get(pk=complaint.pk)
    )
    # Whatever the action changes, the pages showing this complaint are stale once it commits.
    pagecache.bump_complaints([locked])
    return locked.as_of(now)


def _lock_claim_group_of(complaint: Complaint) -> None:
    """Take the claim group's lock before the complaint's (the order in ``common.db``). A
    complaint's consumer and store never change: the caller's copy names them."""
    lock_claim_group(consumer_id=complaint.consumer_id, merchant_id=complaint.merchant_id)


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
    return _merchant_users_of([complaint])[complaint.merchant_id]


def _consumer_url(complaint) -> str:
    return reverse("disputes:complaint", kwargs={"number": complaint.number})


def _merchant_url(complaint) -> str:
    return reverse("disputes:seller_complaint", kwargs={"number": complaint.number})


def _notices_to_both(complaint, event: str, merchant_users, **params) -> list[Notice]:
    """Both parties' notices, each with the link to their own page of the complaint."""
    return [
        Notice([complaint.consumer], complaint, event, _consumer_url(complaint), params),
        Notice(merchant_users, complaint, event, _merchant_url(complaint), params),
    ]


def _notify_both(complaint, event: str, **params) -> None:
    notify_many(_notices_to_both(complaint, event, _merchant_users(complaint), **params))


def _check_grants(complaint, actor, *, settling: Decimal | None = None) -> None:
    """A member of the store without the owner's grant for this step hears why, rather
    than "you cannot ... now"; anyone else is refused by the checks that follow.
    `settling`: the amount the step commits the store to (an offer, an acceptance)."""
    membership = store_membership(complaint, actor)
    if membership is None:
        return
    if settling is None:
        membership.check_may_answer()
    else:
        membership.check_may_settle(settling)


def _party_of(complaint, actor) -> str:
    if act_as_consumer(complaint, actor):
        return Party.CONSUMER
    _check_grants(complaint, actor)
    if act_for_merchant(complaint, actor):
        return Party.MERCHANT
    if actor.is_authenticated and actor.is_staff:
        return Party.PLATFORM
    raise _not_allowed(_("take part in"))


def _log_actor(actor):
    return None if is_system(actor) else actor


# --- filing -------------------------------------------------------------------------------


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
    order = Order.objects.get(pk=order.pk)
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
    return complaint


# --- conversation ---------------------------------------------------------------------


@atomic_service
def post_message(*, complaint: Complaint, author, body: str, internal: bool = False) -> Message:
    complaint = _lock(complaint, timezone.now())
    party = _party_of(complaint, author)
    if internal and not is_reviewer(complaint, author):
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
    complaint: Complaint, uploader, party: str, kind: str, file, description: str, **extra
) -> Evidence:
    if kind not in Evidence.Kind.values:
        raise ValidationError(_("Choose the type of evidence."), code="kind")
    original_name = getattr(file, "name", "") or ""
    file, content_type = checked_upload(file)
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
        original_name=original_name[-200:],
        description=(description or "").strip()[:300],
        **extra,
    )
    evidence.file.save("upload", file, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def _store_files(
    complaint, uploader, party: str, kinds_and_files, description: str = "", **extra
) -> list[Evidence]:
    """Store every file or none: a refused file removes the ones already written to storage."""
    stored = []
    try:
        for kind, file in kinds_and_files:
            stored.append(
                _store_evidence(complaint, uploader, party, kind, file, description, **extra)
            )
    except Exception:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    return stored


@atomic_service
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
    stored = _store_files(complaint, uploader, party, [(kind, f) for f in files], description)
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


@atomic_service
def mark_notification_read(*, notification) -> None:
    if notification.read_at is None:
        type(notification).objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        pagecache.bump(pagecache.reader_scope(notification.user_id))


@atomic_service
def save_notification_settings(
    *, user, muted: set[str], daily_digest: bool, language: str, now: datetime
) -> None:
    """Which topics reach `user` on which channel, whether a store's person takes updates
    as a daily digest, and the language of their messages."""
    channels = notices.channels_of(user)
    known = {notices.muted(topic, channel) for topic in notices.TOPICS for channel in channels}
    if not muted <= known:
        raise ValidationError(_("Choose among the topics and channels shown."), code="invalid")
    if channels and all(notices.muted(notices.ACTION, c) in muted for c in channels):
        raise ValidationError(
            _(
                "Keep at least one way to hear what needs your action: "
                "a missed deadline can decide a complaint."
            ),
            code="action_muted",
        )
    if daily_digest and not MerchantMember.objects.filter(user=user).exists():
        raise ValidationError(
            _("The daily digest is for a store's people."), code="digest_not_for_consumers"
        )
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose a language offered."), code="invalid_language")
    if daily_digest and not user.daily_digest:
        # What was sent one by one before today is not sent again in the first digest.
        user.digest_sent_at = now
    user.muted_notices = sorted(muted)
    user.daily_digest = daily_digest
    user.language = language
    user.save(update_fields=["muted_notices", "daily_digest", "digest_sent_at", "language"])


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
    account = _account(complaint)
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
    account = _account(complaint)
    ledger.release_hold(
        account=account,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:release:{occasion}",
        actor=_log_actor(actor),
    )
    complaint.held_amount = ZERO


@atomic_service
def escalate_complaint(
    *, complaint: Complaint, actor, now: datetime | None = None, statement: str = "", files=()
) -> Complaint:
    """The platform steps in. The consumer may say why, for the reviewer and the merchant
    to read, and attach evidence; the deadline's own escalation says neither."""
    now = now or timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.escalate, actor, _("escalate"))
    by_system = is_system(actor)
    statement = (statement or "").strip()
    if len(statement) > 2000:
        raise ValidationError(
            _("%(label)s can be at most %(max)s characters."),
            params={"label": _("Your statement"), "max": 2000},
        )
    if by_system:
        description = str(_("The merchant did not answer in time"))
    else:
        description = statement or str(_("The consumer asked the platform to step in"))
    complaint.escalate(
        decision_due_at=selectors.decision_due(now),
        by_system=by_system,
        by=_log_actor(actor),
        description=description,
    )
    if files:
        _store_files(
            complaint,
            actor,
            Party.CONSUMER,
            [(Evidence.Kind.OTHER, file) for file in files],
            str(_("Sent when asking the platform to step in")),
        )
    _hold_likely_award(complaint, actor, "escalation")
    _save(complaint)
    _notify_both(
        complaint,
        "escalated_silent" if by_system else "escalated",
        held=money(complaint.held_amount),
    )
    return complaint


def escalate_silent_merchants(*, complaints: list[Complaint], now: datetime) -> list[Complaint]:
    """The deadline steps in on many complaints at once whose merchant stayed silent: for
    each what `escalate_complaint` does (the transition checked and logged, both parties
    told, the likely award held), the whole batch in a few statements. The caller holds the
    complaints' row locks in its transaction; a complaint that may not escalate now is left
    as it is. Returns the escalated ones.

    The holds come last, so a busy store's deposit stays locked only for them and the
    commit (common.db): nothing written before depends on what the deposit could hold.
    """
    due = [c for c in complaints if has_transition_perm(c.as_of(now).escalate, SYSTEM)]
    if not due:
        return []
    decision_due_at = selectors.decision_due(now)
    description = str(_("The merchant did not answer in time"))
    with collected_logs() as logs:
        for complaint in due:
            complaint.escalate(
                decision_due_at=decision_due_at, by_system=True, description=description
            )
    # The same for every row (all locked by the caller) but what each holds, set below.
    Complaint.objects.filter(pk__in=[c.pk for c in due]).update(
        status=Complaint.Status.UNDER_REVIEW,
        escalated_at=now,
        escalated_by_system=True,
        decision_due_at=decision_due_at,
        due_at=decision_due_at,
        updated_at=now,
    )
    StateLog.objects.bulk_create(logs)
    pagecache.bump_complaints(due)
    members = _merchant_users_of(due)
    notify_many(
        [
            notice
            for c in due
            for notice in _notices_to_both(c, "escalated_silent", members[c.merchant_id])
        ]
    )
    _hold_likely_awards(due)
    update_rows(Complaint, "held_amount", {c.pk: c.held_amount for c in due})
    return due


def _hold_likely_awards(complaints: list[Complaint]) -> None:
    """Each complaint's likely award held on its store's deposit, in one ledger call."""
    accounts = dict(
        DepositAccount.objects.filter(
            merchant_id__in={c.merchant_id for c in complaints}
        ).values_list("merchant_id", "pk")
    )
    for complaint in complaints:
        if complaint.merchant_id not in accounts:
            account = ledger.get_or_open_account(merchant=complaint.merchant)
            accounts[complaint.merchant_id] = account.pk
    entries = ledger.hold_many(
        requests=[
            ledger.HoldRequest(
                account_id=accounts[c.merchant_id],
                reference=c.ledger_reference,
                amount=min(c.claimed_amount, c.suggested_amount),
                idempotency_key=f"{c.ledger_reference}:hold:escalation",
            )
            for c in complaints
        ]
    )
    for complaint, entry in zip(complaints, entries, strict=True):
        complaint.held_amount = entry.held_delta if entry else ZERO


def _merchant_users_of(complaints) -> dict:
    """Each store's staff, by store id (an empty list for a store without any)."""
    members = defaultdict(list)
    for member in MerchantMember.objects.filter(
        merchant_id__in={c.merchant_id for c in complaints}
    ).select_related("user"):
        members[member.merchant_id].append(member.user)
    return members


@atomic_service
def reopen_complaint(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.reopen, actor, _("reopen"))
    complaint.reopen(
        decision_due_at=selectors.decision_due(now),
        by=actor,
        description=str(_("The consumer reports the settlement was not paid")),
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


@atomic_service
def record_direct_payment(
    *,
    complaint: Complaint,
    actor,
    amount: Decimal,
    paid_at: datetime,
    method: str,
    reference: str = "",
    proof_files=(),
) -> DirectPayment:
    """The merchant records paying a settlement directly, with the voucher as proof.

    No transition: the complaint stays settled, and a consumer who did not get the money
    still reports it (`reopen`) until `reopen_until`. The rules: a member of the complaint's
    store; the complaint settled and its payment not recorded yet (one record, so a double
    submit is refused); at least the settled amount (paying more is the merchant's choice,
    paying less is not a settlement); paid between the settlement (to the minute a form
    gives) and now; at least one voucher, an image or PDF.
    """
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check_grants(complaint, actor)
    if not act_for_merchant(complaint, actor):
        raise _not_allowed(_("record a payment on"))
    if complaint.status != Complaint.Status.SETTLED:
        raise _not_allowed(_("record a payment on"))
    # The row lock above serialises two submits: the second one sees the first record.
    if DirectPayment.objects.filter(complaint=complaint).exists():
        raise ValidationError(
            _("The payment of this settlement is recorded already."), code="already_recorded"
        )
    amount = _amount(amount, label=_("The amount paid"))
    if amount < complaint.settled_amount:
        raise ValidationError(
            _("Pay at least the settled amount, %(amount)s."),
            code="below_settlement",
            params={"amount": money(complaint.settled_amount)},
        )
    if not isinstance(paid_at, datetime):
        raise ValidationError(_("Tell us when you paid."), code="paid_at")
    if paid_at > now:
        raise ValidationError(_("The payment cannot be in the future."), code="paid_at")
    if paid_at < complaint.settled_at.replace(second=0, microsecond=0):
        raise ValidationError(_("The payment cannot be before the settlement."), code="paid_at")
    if method not in DirectPayment.Method.values:
        raise ValidationError(_("Choose how you paid."), code="method")
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise ValidationError(
            _("%(label)s can be at most %(max)s characters."),
            params={"label": _("The transaction reference"), "max": 100},
        )
    if not proof_files:
        raise ValidationError(_("Attach the payment voucher."), code="no_proof")
    payment = DirectPayment.objects.create(
        complaint=complaint,
        amount=amount,
        paid_at=paid_at,
        method=method,
        reference=reference,
        recorded_by=actor,
        created_at=now,
    )
    # A refused file raises and the transaction takes the record back with it.
    _store_files(
        complaint,
        actor,
        Party.MERCHANT,
        [(Evidence.Kind.PAYMENT_VOUCHER, f) for f in proof_files],
        str(_("Proof of payment")),
        direct_payment=payment,
    )
    # The consumer checks the money arrived; while the window is open, they are told until
    # when they can still report it unpaid.
    window_open = complaint.reopen_until is not None and now < complaint.reopen_until
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="direct_payment" if window_open else "direct_payment_late",
        url=_consumer_url(complaint),
        amount=money(amount),
        **({"due": complaint.reopen_until} if window_open else {}),
    )
    return payment


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


@atomic_service
def lapse_complaint(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.lapse, SYSTEM, _("lapse"))
    if complaint.lapses_at is None or complaint.lapses_at > now:
        raise _not_allowed(_("lapse"))
    complaint.lapse(
        description=str(_("Neither escalated nor settled within 7 days of the merchant's answer"))
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
    for party in _parties_to_act(complaint):
        if party == Party.MERCHANT:
            users, url = _merchant_users(complaint), _merchant_url(complaint)
        else:
            users, url = [complaint.consumer], _consumer_url(complaint)
        notify(users=users, complaint=complaint, event="reminder", url=url, due=complaint.due_at)
    Complaint.objects.filter(pk=complaint.pk).update(reminded_for_due_at=complaint.due_at)
    return True


# --- the platform's half: investigation, decision, payout, appeal --------------------------


@dataclass(frozen=True)
class LineInput:
    """One line of an award as the reviewer sets it: at most what its rule suggests."""

    rule: str
    amount: Decimal


def _account(complaint) -> DepositAccount:
    """The store's deposit account, as `_lock` read it; opened if the store has none yet."""
    try:
        return complaint.merchant.deposit_account
    except DepositAccount.DoesNotExist:
        return ledger.get_or_open_account(merchant=complaint.merchant)


def _policy(now):
    return selectors.deadline_policy(now)


def _appeal_until(now):
    return now + _policy(now).days("appeal_window_days")


@atomic_service
def take_case(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.take, actor, _("take"))
    if complaint.assigned_reviewer_id == actor.pk:
        # Taking one's own case again would change nothing but add a line to its history.
        raise ValidationError(_("This case is already yours."), code="already_yours")
    complaint.take(reviewer=actor, by=actor, description=str(_("A reviewer took the case")))
    _save(complaint)
    return complaint


@atomic_service
def take_next_case(*, actor) -> Complaint | None:
    """The untaken escalation due first, taken by the actor; None when none is waiting.

    Two reviewers pressing at once each get a different case: each skips the row the other
    has locked (`SKIP LOCKED`) instead of waiting for it and then finding it taken.
    """
    if not is_reviewer(None, actor):
        raise _not_allowed(_("take"))
    candidate = (
        Complaint.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .filter(selectors.UNTAKEN)
        .order_by(*QUEUE_ORDER)
        .first()
    )
    if candidate is None:
        return None
    return take_case(complaint=candidate, actor=actor)


@atomic_service
def request_info(*, complaint: Complaint, actor, party: str, question: str) -> InfoRequest:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.request_info, actor, _("ask for information on"))
    if party not in (Party.CONSUMER, Party.MERCHANT):
        raise ValidationError(_("Ask the consumer or the merchant."), code="party")
    question = _text(question, label=_("The question"), max_length=2000)
    if complaint.info_requests.filter(
        party=party, answered_at__isnull=True, lapsed_at__isnull=True
    ).exists():
        raise ValidationError(
            _("That party already has an open request; wait for its answer."), code="open_request"
        )
    due_at = now + _policy(now).hours("info_request_hours")
    complaint.request_info(due_at=due_at, by=actor, description=question)
    info = InfoRequest.objects.create(
        complaint=complaint,
        party=party,
        question=question,
        asked_by=actor,
        created_at=now,
        due_at=due_at,
    )
    _save(complaint)
    users = [complaint.consumer] if party == Party.CONSUMER else _merchant_users(complaint)
    url = _consumer_url(complaint) if party == Party.CONSUMER else _merchant_url(complaint)
    notify(users=users, complaint=complaint, event="info_requested", url=url, due=due_at)
    return info


@atomic_service
def submit_info(*, complaint: Complaint, actor, answer: str, files=()) -> InfoRequest:
    """A party answers the platform's open request to it; review resumes once none is open."""
    now = timezone.now()
    complaint = _lock(complaint, now)
    party = _party_of(complaint, actor)
    info = (
        InfoRequest.objects.select_for_update(no_key=True)
        .filter(complaint=complaint, party=party, answered_at__isnull=True, lapsed_at__isnull=True)
        .first()
    )
    # The deadline is judged at `now`, like every other: an answer at `due_at` is late.
    if info is None or complaint.status != Complaint.Status.AWAITING_INFO or info.due_at <= now:
        raise _not_allowed(_("answer an information request on"))
    info.answer = _text(answer, label=_("The answer"))
    info.answered_by, info.answered_at = actor, now
    info.save(update_fields=["answer", "answered_by", "answered_at"])
    _store_files(
        complaint,
        actor,
        party,
        [(Evidence.Kind.OTHER, f) for f in files],
        str(_("Answer to the platform")),
    )
    _resume_if_complete(complaint, actor)
    _save(complaint)
    if complaint.assigned_reviewer:
        notify(
            users=[complaint.assigned_reviewer],
            complaint=complaint,
            event="info_answered",
            url=reverse("admin:disputes_complaint_change", args=[complaint.pk]),
        )
    return info


def _resume_if_complete(complaint, actor, *, lapsed=False):
    open_requests = [r for r in complaint.info_requests.all() if r.is_open]
    if open_requests:
        complaint.due_at = min(r.due_at for r in open_requests)
        return
    complaint.resume_review(
        lapsed=lapsed,
        by=_log_actor(actor),
        description=str(
            _("An information request lapsed") if lapsed else _("All requested information is in")
        ),
    )


# How an error names a line, in the user's terms.
LINE_NAMES = {
    compensation.REFUND: _("The refund"),
    compensation.COMPENSATION: _("The compensation"),
    compensation.SHIPPING: _("The shipping"),
    compensation.OTHER: _("The other line"),
}


def _validated_lines(complaint, lines: list[LineInput]):
    """An award's lines against what the rules allow this complaint now: one line per rule,
    each at most its rule's suggestion (which already leaves out what other complaints count
    against the shared caps). Returns the (suggested line, amount) pairs and the suggestion."""
    suggestion = {line.rule: line for line in selectors.suggestion_for_complaint(complaint)}
    chosen, seen = [], set()
    for line in lines:
        suggested = suggestion.get(line.rule) if isinstance(line.rule, str) else None
        if suggested is None:
            raise ValidationError(
                _("“%(rule)s” is not a rule of this complaint."),
                code="unknown_rule",
                params={"rule": line.rule},
            )
        name = LINE_NAMES[suggested.category]
        if line.rule in seen:
            raise ValidationError(
                _("%(line)s is given twice; an award has one line per rule."),
                code="repeated_rule",
                params={"line": name},
            )
        seen.add(line.rule)
        amount = _amount(line.amount, label=name, allow_zero=True)
        if amount > suggested.amount:
            raise ValidationError(
                _("%(line)s can be at most %(max)s."),
                code="above_rule",
                params={"line": name, "max": money(suggested.amount)},
            )
        chosen.append((suggested, amount))
    return chosen, list(suggestion.values())


def _check_award(chosen, suggestion) -> Decimal:
    """An upheld award pays something, and its capped multiple goes with the refund when
    there is one to give. Returns the total."""
    awarded = sum((amount for _line, amount in chosen), ZERO)
    if awarded <= 0:
        raise ValidationError(
            _("An upheld complaint awards something; reject it instead."), code="empty_award"
        )
    refund_due = any(line.amount for line in suggestion if not line.capped)
    if refund_due and not any(amount for line, amount in chosen if not line.capped):
        raise ValidationError(_("The capped compensation goes with a refund."), code="capped_only")
    return awarded


@atomic_service
def decide_complaint(
    *,
    complaint: Complaint,
    actor,
    lines: list[LineInput],
    reason_code: str,
    reasoning: str,
    evidence=(),
    route: str = Decision.Route.DEPOSIT,
    reduction_reason: str = "",
) -> Decision:
    """Uphold the complaint with an itemised award, paid as the route says or sent for approval."""
    now = timezone.now()
    _lock_claim_group_of(complaint)
    complaint = _lock(complaint, now)
    _check(complaint, complaint.decide, actor, _("decide"))
    if (
        reason_code not in Decision.ReasonCode.values
        or reason_code == Decision.ReasonCode.MALICIOUS
    ):
        raise ValidationError(_("Choose the reason for the decision."), code="reason_code")
    if route not in Decision.Route.values:
        raise ValidationError(_("Choose how the award is paid."), code="route")
    reasoning = _text(reasoning, label=_("The reasoning"))
    chosen, suggestion = _validated_lines(complaint, lines)
    total = _check_award(chosen, suggestion)
    suggested_total = compensation.total(suggestion)
    if total < suggested_total and not (reduction_reason or "").strip():
        raise ValidationError(
            _("The award is less than the rules suggest (%(suggested)s); say why."),
            code="reduction_reason",
            params={"suggested": money(suggested_total)},
        )
    needs_approval = total > _policy(now).approval_threshold
    decision = Decision.objects.create(
        complaint=complaint,
        outcome=Decision.Outcome.UPHELD,
        reason_code=reason_code,
        reasoning=reasoning,
        route=route,
        suggested_total=suggested_total,
        reduction_reason=(reduction_reason or "").strip(),
        status=Decision.Status.PENDING_APPROVAL if needs_approval else Decision.Status.FINAL,
        decided_by=actor,
        decided_at=now,
    )
    _rely_on(decision, complaint, evidence)
    lines = [
        AwardLine(
            decision=decision,
            category=line.category,
            amount=amount,
            rule=line.rule,
            explanations=AwardLine.explain(line.explanation),
            capped=line.capped,
        )
        for line, amount in chosen
    ]
    complaint.decide(
        needs_approval=needs_approval,
        pay_first=route == Decision.Route.MERCHANT_FIRST,
        pay_first_due_at=now + _policy(now).hours("pay_first_hours"),
        appeal_until=_appeal_until(now),
        by=actor,
        description=reasoning,
    )
    _settle_and_pay(complaint, decision, actor, lines=lines)
    return decision


def _rely_on(decision, complaint, evidence) -> None:
    """The evidence a new decision relies on (none to look up when none is named)."""
    if evidence:
        decision.evidence_relied_on.add(*_evidence_of(complaint, evidence))


def _evidence_of(complaint, evidence):
    ids = {getattr(e, "pk", e) for e in evidence}
    found = list(complaint.evidence.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError(_("Choose evidence of this complaint."), code="evidence")
    return found


def _pay_lines(complaint, lines, actor, *, key: str, memo: str):
    """Pay award lines from the deposit and record on each what it paid: the uncapped lines
    in full (the hold first, then the free balance, then arrears), the capped multiple as
    far as the deposit available to the claim allows at this moment. The money goes to the
    account the consumer chose; without one it waits for their choice (`_account_due_at`).
    Returns the disbursement, if anything was paid."""
    chosen = complaint.payout_destination
    result = ledger.pay_out(
        account=_account(complaint),
        reference=complaint.ledger_reference,
        amount=sum((line.amount for line in lines if not line.capped), ZERO),
        capped_amount=sum((line.amount for line in lines if line.capped), ZERO),
        payee=complaint.consumer,
        destination=chosen.destination if chosen else None,
        account_due_at=None if chosen else _account_due_at(complaint),
        idempotency_key=key,
        actor=_log_actor(actor),
        memo=memo,
    )
    capped_left = result.capped_paid
    for line in lines:
        if line.capped:
            line.paid_amount = min(line.amount, capped_left)
            capped_left -= line.paid_amount
        else:
            line.paid_amount = line.amount
        line.ledger_entry = result.entries[0] if result.entries else None
    # Lines this step made are written once, with what they paid; earlier ones are updated.
    earlier = [line for line in lines if line.pk is not None]
    AwardLine.objects.bulk_create([line for line in lines if line.pk is None])
    AwardLine.objects.bulk_update(earlier, ["paid_amount", "ledger_entry"])
    return result.disbursement


def _account_due_at(complaint) -> datetime:
    """Until when a payout made now waits for the consumer to choose an account."""
    return complaint.now + _policy(complaint.now).days("payout_account_days")


def _account_needed(complaint, amount) -> list[Notice]:
    """The consumer's notice that a payout waits for their account: a payout made now,
    when they have chosen none (`_pay_lines` makes it wait)."""
    if complaint.payout_destination_id is not None or not amount:
        return []
    return [
        Notice(
            [complaint.consumer],
            complaint,
            "payout_account_needed",
            _payout_url(complaint),
            {"amount": money(amount), "due": _account_due_at(complaint)},
        )
    ]


def _payout_url(complaint) -> str:
    return _consumer_url(complaint) + "#payout"


def _settle_and_pay(complaint, decision, actor, *, lines=None) -> None:
    """Save the decided complaint, pay from the deposit when it is now paid, and tell both
    parties. Everything else is written first: the deposit's lock, which the payout takes,
    is then held only for the ledger and the few writes after it (common.db). `lines`: a
    new decision's award lines, not written yet: a payout writes them with what they paid."""
    _save(complaint)
    members = _merchant_users(complaint)
    if complaint.status != Complaint.Status.PAID:
        if lines:
            AwardLine.objects.bulk_create(lines)
        _announce_decision(complaint, decision, members, amount=decision.total)
        return
    lines = list(decision.lines.all()) if lines is None else lines
    if not any(line.capped for line in lines):
        # Every line is paid in full, so both can be told first.
        total = sum((line.amount for line in lines), ZERO)
        _announce_decision(complaint, decision, members, amount=total)
        _pay_decision(complaint, decision, lines, actor)
        return
    _pay_decision(complaint, decision, lines, actor)
    paid = sum((line.paid_amount for line in lines), ZERO)
    _announce_decision(complaint, decision, members, amount=paid)


def _pay_decision(complaint, decision, lines, actor) -> None:
    _pay_lines(
        complaint,
        lines,
        actor,
        key=f"{complaint.ledger_reference}:payout:{decision.pk}",
        memo=str(decision.get_reason_code_display()),
    )


def _announce_decision(complaint, decision, members, *, amount) -> None:
    if complaint.status == Complaint.Status.AWAITING_APPROVAL:
        return
    event = {
        Complaint.Status.PAID: "decided_paid",
        Complaint.Status.AWAITING_MERCHANT_PAYMENT: "decided_pay_first",
        Complaint.Status.REJECTED: "rejected",
    }[complaint.status]
    notices = _notices_to_both(
        complaint, event, members, amount=money(amount), due=complaint.due_at
    )
    if complaint.status == Complaint.Status.PAID:
        notices += _account_needed(complaint, amount)
    notify_many(notices)


def _lock_pending_decision(complaint) -> Decision:
    decision = (
        Decision.objects.select_for_update(no_key=True)
        .filter(complaint=complaint, status=Decision.Status.PENDING_APPROVAL)
        .first()
    )
    if decision is None:
        raise _not_allowed(_("approve"))
    return decision


@atomic_service
def approve_decision(*, complaint: Complaint, actor) -> Decision:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.approve, actor, _("approve the award of"))
    decision = _lock_pending_decision(complaint)
    decision.status, decision.approved_by, decision.approved_at = Decision.Status.FINAL, actor, now
    decision.save(update_fields=["status", "approved_by", "approved_at"])
    complaint.approve(
        pay_first=decision.route == Decision.Route.MERCHANT_FIRST,
        pay_first_due_at=now + _policy(now).hours("pay_first_hours"),
        appeal_until=_appeal_until(now),
        by=actor,
        description=str(_("Award of %(amount)s approved")) % {"amount": money(decision.total)},
    )
    _settle_and_pay(complaint, decision, actor)
    return decision


@atomic_service
def send_back_decision(*, complaint: Complaint, actor, reason: str) -> Decision:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.send_back, actor, _("send back the award of"))
    reason = _text(reason, label=_("The reason"), max_length=2000)
    decision = _lock_pending_decision(complaint)
    decision.status, decision.sent_back_reason = Decision.Status.SENT_BACK, reason
    decision.save(update_fields=["status", "sent_back_reason"])
    complaint.send_back(by=actor, description=reason)
    _save(complaint)
    notify(
        users=[decision.decided_by],
        complaint=complaint,
        event="sent_back",
        url=reverse("admin:disputes_complaint_change", args=[complaint.pk]),
    )
    return decision


@atomic_service
def reject_complaint(
    *,
    complaint: Complaint,
    actor,
    reason_code: str,
    reasoning: str,
    evidence=(),
    malicious: bool = False,
) -> Decision:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.reject, actor, _("reject"))
    if reason_code not in Decision.ReasonCode.values:
        raise ValidationError(_("Choose the reason for the decision."), code="reason_code")
    if malicious != (reason_code == Decision.ReasonCode.MALICIOUS):
        raise ValidationError(
            _("A malicious rejection gives the reason “malicious”, and only it does."),
            code="reason_code",
        )
    reasoning = _text(reasoning, label=_("The reasoning"))
    decision = Decision.objects.create(
        complaint=complaint,
        outcome=Decision.Outcome.REJECTED_MALICIOUS if malicious else Decision.Outcome.REJECTED,
        reason_code=reason_code,
        reasoning=reasoning,
        suggested_total=complaint.suggested_amount,
        decided_by=actor,
        decided_at=now,
    )
    _rely_on(decision, complaint, evidence)
    _release_hold(complaint, actor, "rejection")
    complaint.reject(appeal_until=_appeal_until(now), by=actor, description=reasoning)
    if malicious:
        ConsumerStrike.objects.create(
            consumer=complaint.consumer, complaint=complaint, created_at=now
        )
    _settle_and_pay(complaint, decision, actor)
    return decision


@atomic_service
def confirm_merchant_payment(*, complaint: Complaint, actor, proof_files) -> Complaint:
    """The merchant paid the consumer first and shows the proof; the hold is released."""
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check_grants(complaint, actor)
    _check(complaint, complaint.confirm_payment, actor, _("confirm the payment of"))
    if not proof_files:
        raise ValidationError(_("Attach the payment voucher."), code="no_proof")
    _store_files(
        complaint,
        actor,
        Party.MERCHANT,
        [(Evidence.Kind.PAYMENT_VOUCHER, f) for f in proof_files],
        str(_("Proof of payment")),
    )
    decision = complaint.final_decision
    decision.lines.update(paid_by_merchant=True, paid_amount=F("amount"))
    _release_hold(complaint, actor, "paid-first")
    complaint.confirm_payment(
        appeal_until=_appeal_until(now),
        by=actor,
        description=str(_("The merchant paid the consumer directly")),
    )
    _save(complaint)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="merchant_paid",
        url=_consumer_url(complaint),
        amount=money(decision.total),
    )
    return complaint


@atomic_service
def charge_deposit(*, complaint: Complaint, now: datetime) -> Complaint:
    """The merchant did not pay first in time: the deposit pays the consumer."""
    complaint = _lock(complaint, now)
    _check(complaint, complaint.charge_deposit, SYSTEM, _("charge"))
    complaint.charge_deposit(
        appeal_until=_appeal_until(now),
        description=str(_("The merchant did not pay in time; the deposit paid")),
    )
    _settle_and_pay(complaint, complaint.final_decision, SYSTEM)
    return complaint


@atomic_service
def appeal_complaint(*, complaint: Complaint, actor, reason: str, files=()) -> Appeal:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check_grants(complaint, actor)
    _check(complaint, complaint.appeal, actor, _("appeal"))
    party = _party_of(complaint, actor)
    reason = _text(reason, label=_("The grounds"))
    response_due_at = now + _policy(now).hours("appeal_response_hours")
    complaint.appeal(response_due_at=response_due_at, by=actor, description=reason)
    appeal = Appeal.objects.create(
        complaint=complaint,
        party=party,
        appellant=actor,
        reason=reason,
        created_at=now,
        response_due_at=response_due_at,
    )
    _store_files(
        complaint, actor, party, [(Evidence.Kind.OTHER, f) for f in files], str(_("Appeal"))
    )
    _save(complaint)
    other = _merchant_users(complaint) if party == Party.CONSUMER else [complaint.consumer]
    url = _merchant_url(complaint) if party == Party.CONSUMER else _consumer_url(complaint)
    notify(users=other, complaint=complaint, event="appealed", url=url, due=response_due_at)
    return appeal


@atomic_service
def respond_to_appeal(*, complaint: Complaint, actor, response: str) -> Appeal:
    now = timezone.now()
    complaint = _lock(complaint, now)
    appeal = Appeal.objects.select_for_update(no_key=True).filter(complaint=complaint).first()
    party = _party_of(complaint, actor)
    if (
        complaint.status != Complaint.Status.UNDER_APPEAL
        or appeal is None
        or party == appeal.party
        or party == Party.PLATFORM
        or appeal.ready_for_resolution
        or appeal.response_due_at <= now
    ):
        raise _not_allowed(_("respond to the appeal on"))
    appeal.response, appeal.responded_at = _text(response, label=_("The response")), now
    appeal.responded_by = actor
    appeal.save(update_fields=["response", "responded_at", "responded_by"])
    Complaint.objects.filter(pk=complaint.pk).update(due_at=None)
    complaint.due_at = None
    appellants = (
        [complaint.consumer] if appeal.party == Party.CONSUMER else _merchant_users(complaint)
    )
    url = _consumer_url(complaint) if appeal.party == Party.CONSUMER else _merchant_url(complaint)
    notify(users=appellants, complaint=complaint, event="appeal_answered", url=url)
    return appeal


@atomic_service
def lapse_appeal_response(*, complaint: Complaint, now: datetime) -> Appeal:
    complaint = _lock(complaint, now)
    appeal = Appeal.objects.select_for_update(no_key=True).get(complaint=complaint)
    if appeal.ready_for_resolution or appeal.response_due_at > now:
        raise _not_allowed(_("lapse"))
    appeal.response_lapsed = True
    appeal.save(update_fields=["response_lapsed"])
    Complaint.objects.filter(pk=complaint.pk).update(due_at=None)
    return appeal


@atomic_service
def resolve_appeal(
    *,
    complaint: Complaint,
    actor,
    outcome: str,
    resolution: str,
    lines: list[LineInput] | None = None,
) -> Appeal:
    """Final for both. A revised award is entered line by line under the limits of a first
    decision. Raised: each line's difference from what it actually paid is paid, the
    multiple capped at what the deposit has available now. Lowered after payout: the
    consumer keeps what was paid, and the platform makes the merchant whole (arrears first)."""
    now = timezone.now()
    _lock_claim_group_of(complaint)
    complaint = _lock(complaint, now)
    _check(complaint, complaint.resolve_appeal, actor, _("resolve the appeal on"))
    if outcome not in Appeal.Outcome.values:
        raise ValidationError(_("Choose the outcome of the appeal."), code="outcome")
    resolution = _text(resolution, label=_("The resolution"))
    appeal = Appeal.objects.select_for_update(no_key=True).get(complaint=complaint)
    decision = complaint.final_decision
    original = list(decision.lines.all()) if decision.outcome == Decision.Outcome.UPHELD else []
    awarded = {line.rule: line.amount for line in original}
    revised, chosen = dict(awarded), []
    if outcome != Appeal.Outcome.UPHELD:
        chosen, suggestion = _validated_lines(complaint, lines or [])
        revised = {line.rule: amount for line, amount in chosen}
        _check_revision(complaint, outcome, awarded, revised, chosen, suggestion)
    new_total = sum(revised.values(), ZERO)
    appeal.outcome, appeal.new_total, appeal.resolution = outcome, new_total, resolution
    appeal.resolved_by, appeal.resolved_at = actor, now
    appeal.save(update_fields=["outcome", "new_total", "resolution", "resolved_by", "resolved_at"])
    paid = {line.rule: line.paid_amount or ZERO for line in original}
    raise_paid = None
    if outcome == Appeal.Outcome.REVISED_UP:
        raise_paid = _pay_appeal_raise(complaint, appeal, paid, chosen, actor)
    elif outcome == Appeal.Outcome.REVISED_DOWN:
        overpaid = sum(
            (max(amount - revised.get(rule, ZERO), ZERO) for rule, amount in paid.items()), ZERO
        )
        if overpaid:
            _make_merchant_whole(complaint, appeal, decision, overpaid, actor)
    if outcome != Appeal.Outcome.UPHELD and _struck(complaint):
        ConsumerStrike.objects.filter(complaint=complaint, removed_at__isnull=True).update(
            removed_at=now
        )
    complaint.resolve_appeal(by=actor, description=resolution)
    _save(complaint)
    notices = _notices_to_both(
        complaint,
        "appeal_resolved",
        _merchant_users(complaint),
        outcome=appeal.get_outcome_display(),
    )
    if raise_paid is not None:
        notices += _account_needed(complaint, raise_paid.amount)
    notify_many(notices)
    return appeal


def _check_revision(complaint, outcome, awarded, revised, chosen, suggestion) -> None:
    """Raised, no line goes down; lowered, no line goes up: the money then moves one way."""
    before, after = sum(awarded.values(), ZERO), sum(revised.values(), ZERO)
    names = {line.rule: LINE_NAMES[line.category] for line in suggestion}
    rules = set(awarded) | set(revised)
    if outcome == Appeal.Outcome.REVISED_UP:
        if after <= before:
            raise ValidationError(
                _("A raised award is more than %(awarded)s."),
                code="not_raised",
                params={"awarded": money(before)},
            )
        for rule in sorted(rules):
            if revised.get(rule, ZERO) < awarded.get(rule, ZERO):
                raise ValidationError(
                    _("A raised award lowers no line: %(line)s was %(amount)s."),
                    code="line_lowered",
                    params={"line": names.get(rule, rule), "amount": money(awarded[rule])},
                )
        _check_award(chosen, suggestion)
        return
    # Lifting only the malicious label keeps the award (nothing) and removes the strike;
    # a "lowered" outcome never pays the consumer more.
    if after > before or (after == before and not _struck(complaint)):
        raise ValidationError(
            _("A lowered award is less than %(awarded)s."),
            code="not_lowered",
            params={"awarded": money(before)},
        )
    for rule in sorted(rules):
        if revised.get(rule, ZERO) > awarded.get(rule, ZERO):
            raise ValidationError(
                _("A lowered award raises no line: %(line)s was %(amount)s."),
                code="line_raised",
                params={"line": names.get(rule, rule), "amount": money(awarded.get(rule, ZERO))},
            )


def _struck(complaint) -> bool:
    return ConsumerStrike.objects.filter(complaint=complaint, removed_at__isnull=True).exists()


def _pay_appeal_raise(complaint, appeal, paid, chosen, actor):
    """Each raised line pays its difference from what it actually paid; a capped line stays
    capped."""
    raised = []
    for line, amount in chosen:
        before = paid.get(line.rule, ZERO)
        if amount <= before:
            continue
        raised.append(
            AwardLine(
                appeal=appeal,
                category=line.category,
                amount=amount - before,
                rule=line.rule,
                explanations=AwardLine.explain(
                    compensation.raised_on_appeal(line.explanation, before=before, after=amount)
                ),
                capped=line.capped,
            )
        )
    return _pay_lines(
        complaint,
        raised,
        actor,
        key=f"{complaint.ledger_reference}:appeal-payout",
        memo=str(_("Raised on appeal")),
    )


def _make_merchant_whole(complaint, appeal, decision, difference, actor):
    paid_first = any(line.paid_by_merchant for line in decision.lines.all())
    owner = MerchantMember.objects.filter(
        merchant=complaint.merchant, role=MerchantMember.Role.OWNER
    ).first()
    result = ledger.reimburse(
        account=_account(complaint),
        amount=difference,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:appeal-reimbursement",
        actor=actor,
        to_merchant_directly=paid_first,
        payee_account=owner.user.username if paid_first and owner else "",
    )
    AwardLine.objects.create(
        appeal=appeal,
        category=AwardLine.Category.OTHER,
        amount=difference,
        rule=AwardLine.REIMBURSEMENT_RULE,
        explanations=AwardLine.explain(
            _("Lowered on appeal: the platform reimburses the merchant")
        ),
        paid_amount=difference,
        ledger_entry=result.entries[0] if result.entries else None,
    )


@atomic_service
def flag_decision_overdue(*, complaint: Complaint, now: datetime) -> Complaint:
    """The decision target passed: the case is flagged, and the timeline says so."""
    complaint = _lock(complaint, now)
    _check(complaint, complaint.flag_overdue, SYSTEM, _("flag"))
    complaint.flag_overdue(
        description=str(_("No decision within the working days the platform allows itself"))
    )
    _save(complaint)
    return complaint


@atomic_service
def close_complaint(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.close, SYSTEM, _("close"))
    complaint.close(description=str(_("Nobody appealed within the appeal window")))
    _save(complaint)
    _notify_both(complaint, "closed")
    return complaint


@atomic_service
def lapse_info_requests(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    if complaint.status != Complaint.Status.AWAITING_INFO:
        raise _not_allowed(_("lapse"))
    lapsed = InfoRequest.objects.filter(
        complaint=complaint, answered_at__isnull=True, lapsed_at__isnull=True, due_at__lte=now
    ).update(lapsed_at=now)
    # Flagged now, even if review resumes later when another party answers.
    complaint.info_lapsed = complaint.info_lapsed or bool(lapsed)
    _resume_if_complete(complaint, SYSTEM, lapsed=bool(lapsed))
    _save(complaint)
    return complaint


# --- where the consumer is paid -----------------------------------------------------------


@atomic_service
def choose_payout_account(
    *,
    complaint: Complaint,
    actor,
    saved_account: int | None = None,
    method: str = "",
    number: str = "",
    bank_name: str = "",
    holder_name: str = "",
) -> PayoutAccount:
    """The consumer chooses (or changes) where the complaint's payouts go: one of their
    saved accounts, or one typed now (checked, then kept encrypted for next time). Every
    payout not yet sent moves to it; a payout waiting for an account can now be sent.
    Refused once every payout is sent, and on a complaint that can no longer pay."""
    now = timezone.now()
    complaint = _lock(complaint, now)
    if actor is None or actor.pk != complaint.consumer_id:
        raise _not_allowed(_("choose the payout account of"))
    payouts = list(
        Disbursement.objects.select_for_update(no_key=True)
        .filter(reference=complaint.ledger_reference, payee_kind=Disbursement.PayeeKind.CONSUMER)
        .order_by("pk")
    )
    if not selectors.may_choose_payout_account(complaint, payouts):
        if payouts:
            raise ValidationError(
                _("Your payout was sent already; its account can no longer change."),
                code="already_sent",
            )
        raise ValidationError(
            _("This complaint has no payout from the platform to send."), code="no_payout"
        )
    if saved_account:
        account = PayoutAccount.objects.filter(owner=complaint.consumer, pk=saved_account).first()
        if account is None:
            raise ValidationError(_("Choose one of your saved accounts."), code="saved_account")
    else:
        account = ledger.save_payout_account(
            owner=complaint.consumer,
            method=method,
            number=number,
            bank_name=bank_name,
            holder_name=holder_name,
        )
    Complaint.objects.filter(pk=complaint.pk).update(payout_destination=account, updated_at=now)
    complaint.payout_destination = account
    for payout in payouts:
        if payout.status != Disbursement.Status.SENT:
            ledger.set_payout_destination(
                disbursement=payout, destination=account.destination, actor=actor
            )
    return account


def _complaint_paying(disbursement: Disbursement) -> Complaint:
    number = disbursement.reference.removeprefix(COMPLAINT_REFERENCE)
    return Complaint.objects.select_related("consumer").get(number=number)


@atomic_service
def remind_payout_account(*, disbursement: Disbursement, now: datetime) -> bool:
    """Once a day while a payout waits, remind the consumer to choose where it goes."""
    if not ledger.note_account_reminder(disbursement=disbursement, now=now):
        return False
    complaint = _complaint_paying(disbursement)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="payout_account_reminder",
        url=_payout_url(complaint),
        amount=money(disbursement.amount),
        due=disbursement.account_due_at,
    )
    return True


@atomic_service
def fall_back_payout_destination(*, disbursement: Disbursement, now: datetime) -> bool:
    """No account chosen in time: the payout goes to the Alipay account of the consumer's
    login, as payouts always did, and the consumer is told where (masked)."""
    if not ledger.fall_back_to_login(disbursement=disbursement, now=now):
        return False
    complaint = _complaint_paying(disbursement)
    notify(
        users=[complaint.consumer],
        complaint=complaint,
        event="payout_account_fallback",
        url=_payout_url(complaint),
        amount=money(disbursement.amount),
        account=disbursement.payee_account_masked,
    )
    return True
