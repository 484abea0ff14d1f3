"""Platform intervention: escalation, a reopened settlement, a settlement paid directly."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_fsm import has_transition_perm
from django_fsm_log.models import StateLog

from common import pagecache
from common.db import atomic_service, insert_rows, update_rows
from common.fsmlog import collected_logs
from common.recorded_text import recorded
from deposit_claims.templatetags.ui import money
from deposits import services as ledger
from deposits.models import DepositAccount
from webhooks import events as webhook_events

from .. import selectors
from ..models import (
    ZERO,
    Complaint,
    DirectPayment,
    Evidence,
    Party,
)
from ..notifications import notify, notify_many
from ..permissions import (
    SYSTEM,
    act_for_merchant,
    is_system,
)
from ._common import (
    _amount,
    _check,
    _check_grants,
    _consumer_url,
    _hold_likely_award,
    _likely_award,
    _lock,
    _log_actor,
    _merchant_url,
    _merchant_users,
    _merchant_users_of,
    _not_allowed,
    _notices_to_both_of_each,
    _notify_both,
    _save,
    _store_files,
)

# --- platform intervention ----------------------------------------------------------------


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
        description = recorded(gettext_noop("The merchant did not answer in time"))
    else:
        description = statement or recorded(
            gettext_noop("The consumer asked the platform to step in")
        )
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
            recorded(gettext_noop("Sent when asking the platform to step in")),
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
    commit: the rows are written first as holding each its likely award, and written again
    only where the deposit could not cover it.
    """
    due = [c for c in complaints if has_transition_perm(c.as_of(now).escalate, SYSTEM)]
    if not due:
        return []
    decision_due_at = selectors.decision_due(now)
    description = recorded(gettext_noop("The merchant did not answer in time"))
    webhook_events.read_ahead_stores({c.merchant_id for c in due})
    with collected_logs() as logs:
        for complaint in due:
            complaint.escalate(
                decision_due_at=decision_due_at, by_system=True, description=description
            )
    insert_rows(StateLog, logs)
    pagecache.bump_complaints(due)
    members = _merchant_users_of(due)
    notify_many(_notices_to_both_of_each(due, "escalated_silent", members))
    likely = {c.pk: _likely_award(c) for c in due}
    # The rows (all locked by the caller) in one statement: what each holds, and what every
    # one of them becomes.
    update_rows(
        Complaint,
        "held_amount",
        likely,
        also={
            "status": Complaint.Status.UNDER_REVIEW,
            "escalated_at": now,
            "escalated_by_system": True,
            "decision_due_at": decision_due_at,
            "due_at": decision_due_at,
            "updated_at": now,
        },
    )
    _hold_likely_awards(due)
    # A deposit short of some likely awards held less for them: only those rows again.
    update_rows(
        Complaint,
        "held_amount",
        {c.pk: c.held_amount for c in due if c.held_amount != likely[c.pk]},
    )
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
                amount=_likely_award(c),
                idempotency_key=f"{c.ledger_reference}:hold:escalation",
            )
            for c in complaints
        ]
    )
    for complaint, entry in zip(complaints, entries, strict=True):
        complaint.held_amount = entry.held_delta if entry else ZERO


@atomic_service
def reopen_complaint(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.reopen, actor, _("reopen"))
    complaint.reopen(
        decision_due_at=selectors.decision_due(now),
        by=actor,
        description=recorded(gettext_noop("The consumer reports the settlement was not paid")),
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
        recorded(gettext_noop("Proof of payment")),
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
