"""The deadline's charge of many deposits at once: merchants who did not pay first in time."""

from collections import defaultdict
from datetime import datetime

from django.db.models import prefetch_related_objects
from django_fsm import has_transition_perm
from django_fsm_log.models import StateLog

from common import pagecache
from common.db import insert_rows
from common.fsmlog import collected_logs
from common.recorded_text import recorded
from deposits import services as ledger
from webhooks import events as webhook_events

from ..models import ZERO, Complaint
from ..notifications import notify_many
from ..permissions import SYSTEM
from ._common import _account, _appeal_until, _merchant_users_of
from .decisions import CHARGED, _decision_event, _decision_notices, _decision_payout
from .payouts import _payout_request, _record_paid, _save_lines


def charge_deposits(*, complaints: list[Complaint], now: datetime) -> list[Complaint]:
    """For each complaint whose merchant did not pay first in time, what `charge_deposit`
    does (the transition checked and logged, the consumer paid from the deposit, both
    parties told), the whole batch in a few statements and the payouts of one store in one
    ledger call (`pay_out_many`). Stores are paid in the order of their accounts, so two
    sweeps never wait for each other in a cycle (common.db). The caller holds the
    complaints' row locks in its transaction; a complaint that may not be charged now is
    left as it is. Returns the charged ones."""
    due = [
        complaint
        for complaint in _with_decisions(complaints)
        if has_transition_perm(complaint.as_of(now).charge_deposit, SYSTEM)
    ]
    if not due:
        return []
    appeal_until = _appeal_until(now)
    webhook_events.read_ahead_stores({c.merchant_id for c in due})
    with collected_logs() as logs:
        for complaint in due:
            complaint.charge_deposit(appeal_until=appeal_until, description=recorded(CHARGED))
    Complaint.objects.filter(pk__in=[c.pk for c in due]).update(
        status=Complaint.Status.PAID,
        paid_at=now,
        held_amount=ZERO,
        due_at=appeal_until,
        updated_at=now,
    )
    insert_rows(StateLog, logs)
    pagecache.bump_complaints(due)
    members = _merchant_users_of(due)
    lines = {c.pk: list(c.final_decision.lines.all()) for c in due}
    # Where every line is paid in full both parties are told first, so a busy deposit stays
    # locked only for the ledger and the commit; a capped line waits for what it paid.
    in_full = {c.pk for c in due if not any(line.capped for line in lines[c.pk])}
    notify_many(_notices(due, members, lines, paid=False, only=in_full))
    _events(due, lines, paid=False, only=in_full)
    by_account = defaultdict(list)
    for complaint in due:
        by_account[_account(complaint)].append(complaint)
    for account in sorted(by_account, key=lambda account: account.pk):
        charged = by_account[account]
        requests = [
            _payout_request(c, lines[c.pk], SYSTEM, **_decision_payout(c, c.final_decision))
            for c in charged
        ]
        results = ledger.pay_out_many(account=account, requests=requests)
        for complaint, result in zip(charged, results, strict=True):
            _record_paid(lines[complaint.pk], result)
    _save_lines([line for c in due for line in lines[c.pk]])
    capped = {c.pk for c in due} - in_full
    notify_many(_notices(due, members, lines, paid=True, only=capped))
    _events(due, lines, paid=True, only=capped)
    return due


def _with_decisions(complaints: list[Complaint]) -> list[Complaint]:
    """The claimed complaints with what a charge reads besides them: the deposit, where
    the consumer is paid, the decisions and their lines (the caller read the complaints
    under their locks; they are not read again)."""
    prefetch_related_objects(
        complaints, "merchant__deposit_account", "payout_destination", "decisions__lines"
    )
    return complaints


def _amount(lines, *, paid: bool):
    return sum((line.paid_amount if paid else line.amount for line in lines), ZERO)


def _notices(due, members, lines, *, paid: bool, only: set[int]) -> list:
    """The decision's notices of the complaints in `only`: the award, or what it paid."""
    return [
        notice
        for c in due
        if c.pk in only
        for notice in _decision_notices(
            c, members[c.merchant_id], amount=_amount(lines[c.pk], paid=paid)
        )
    ]


def _events(due, lines, *, paid: bool, only: set[int]) -> None:
    """The decisions of the complaints in `only` as the stores' systems learn them."""
    for c in due:
        if c.pk in only:
            _decision_event(c, c.final_decision, amount=_amount(lines[c.pk], paid=paid))
