"""The platform's decision: deciding, approving, sending back, rejecting, settling."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service, insert_objects
from common.recorded_text import recorded, recorded_label
from deposit_claims.templatetags.ui import money
from webhooks import events as webhook_events
from webhooks.models import EventType

from .. import compensation, selectors
from ..models import (
    ZERO,
    AwardLine,
    Complaint,
    ConsumerStrike,
    Decision,
    Evidence,
    Party,
)
from ..notifications import notify, notify_many
from ..permissions import (
    SYSTEM,
)
from ._common import (
    _amount,
    _appeal_until,
    _check,
    _check_grants,
    _consumer_url,
    _lock,
    _lock_claim_group_of,
    _merchant_users,
    _not_allowed,
    _notices_to_both,
    _policy,
    _release_hold,
    _save,
    _store_files,
    _text,
)
from .payouts import (
    _account_needed,
    _pay_lines,
)

CHARGED = gettext_noop("The merchant did not pay in time; the deposit paid")


@dataclass(frozen=True)
class LineInput:
    """One line of an award as the reviewer sets it: at most what its rule suggests."""

    rule: str
    amount: Decimal


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
    decision = Decision(
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
    insert_objects([decision])
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


def _settle_and_pay(complaint, decision, actor, *, lines=None) -> None:
    """Save the decided complaint, pay from the deposit when it is now paid, and tell both
    parties. Everything else is written first: the deposit's lock, which the payout takes,
    is then held only for the ledger and the few writes after it (common.db). `lines`: a
    new decision's award lines, not written yet: a payout writes them with what they paid."""
    _save(complaint)
    members = _merchant_users(complaint)
    if complaint.status != Complaint.Status.PAID:
        if lines:
            insert_objects(lines)
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
    _pay_lines(complaint, lines, actor, **_decision_payout(complaint, decision))


def _decision_payout(complaint, decision) -> dict:
    """The key and memo of the payout a decision makes."""
    return {
        "key": f"{complaint.ledger_reference}:payout:{decision.pk}",
        "memo": recorded_label(decision.get_reason_code_display()),
    }


def _announce_decision(complaint, decision, members, *, amount) -> None:
    if complaint.status == Complaint.Status.AWAITING_APPROVAL:
        return
    notify_many(_decision_notices(complaint, members, amount=amount))
    _decision_event(complaint, decision, amount=amount)


def _decision_notices(complaint, members, *, amount) -> list:
    if complaint.status == Complaint.Status.AWAITING_APPROVAL:
        return []
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
    return notices


def _decision_event(complaint, decision, *, amount) -> None:
    """The decision as the store's systems learn it (webhooks)."""
    webhook_events.complaint_event(
        EventType.COMPLAINT_DECIDED,
        complaint,
        at=complaint.now,
        outcome=decision.outcome,
        award_amount=webhook_events.money(amount),
        route=decision.route or None,
        status=complaint.status,
        due_at=webhook_events.moment(complaint.due_at),
    )


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
        description=recorded(
            gettext_noop("Award of %(amount)s approved"), amount=money(decision.total)
        ),
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
        recorded(gettext_noop("Proof of payment")),
    )
    decision = complaint.final_decision
    decision.lines.update(paid_by_merchant=True, paid_amount=F("amount"))
    _release_hold(complaint, actor, "paid-first")
    complaint.confirm_payment(
        appeal_until=_appeal_until(now),
        by=actor,
        description=recorded(gettext_noop("The merchant paid the consumer directly")),
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
    complaint.charge_deposit(appeal_until=_appeal_until(now), description=recorded(CHARGED))
    _settle_and_pay(complaint, complaint.final_decision, SYSTEM)
    return complaint
