"""Appeals against a decision, and closing when nobody appeals."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service
from common.recorded_text import recorded
from deposit_claims.templatetags.ui import money
from deposits import services as ledger
from merchants.models import MerchantMember

from .. import compensation
from ..models import (
    ZERO,
    Appeal,
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
    _account,
    _check,
    _check_grants,
    _consumer_url,
    _lock,
    _lock_claim_group_of,
    _merchant_url,
    _merchant_users,
    _not_allowed,
    _notices_to_both,
    _notify_both,
    _party_of,
    _policy,
    _save,
    _store_files,
    _text,
)
from .decisions import (
    LINE_NAMES,
    LineInput,
    _check_award,
    _validated_lines,
)
from .payouts import (
    _account_needed,
    _pay_lines,
)


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
        complaint,
        actor,
        party,
        [(Evidence.Kind.OTHER, f) for f in files],
        recorded(gettext_noop("Appeal")),
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
        memo=recorded(gettext_noop("Raised on appeal")),
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
def close_complaint(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    _check(complaint, complaint.close, SYSTEM, _("close"))
    complaint.close(description=recorded(gettext_noop("Nobody appealed within the appeal window")))
    _save(complaint)
    _notify_both(complaint, "closed")
    return complaint
