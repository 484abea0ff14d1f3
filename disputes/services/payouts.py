"""Paying the consumer: award lines to the ledger, and where the consumer is paid."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.db import atomic_service, insert_objects, update_rows
from deposit_claims.templatetags.ui import money
from deposits import services as ledger
from deposits.models import Disbursement, PayoutAccount

from .. import selectors
from ..models import (
    COMPLAINT_REFERENCE,
    ZERO,
    AwardLine,
    Complaint,
)
from ..notifications import Notice, notify
from ._common import (
    _account,
    _consumer_url,
    _lock,
    _log_actor,
    _not_allowed,
    _policy,
)


def _pay_lines(complaint, lines, actor, *, key: str, memo: str):
    """Pay award lines from the deposit and record on each what it paid: the uncapped lines
    in full (the hold first, then the free balance, then arrears), the capped multiple as
    far as the deposit available to the claim allows at this moment. The money goes to the
    account the consumer chose; without one it waits for their choice (`_account_due_at`).
    Returns the disbursement, if anything was paid."""
    request = _payout_request(complaint, lines, actor, key=key, memo=memo)
    result = ledger.pay_out_in_transaction(account=_account(complaint), request=request)
    _record_paid(lines, result)
    _save_lines(lines)
    return result.disbursement


def _payout_request(complaint, lines, actor, *, key: str, memo: str) -> ledger.PayoutRequest:
    chosen = complaint.payout_destination
    return ledger.PayoutRequest(
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


def _record_paid(lines, result: ledger.PayoutResult) -> None:
    """What each line paid: uncapped lines in full, the capped ones as far as it went."""
    capped_left = result.capped_paid
    for line in lines:
        if line.capped:
            line.paid_amount = min(line.amount, capped_left)
            capped_left -= line.paid_amount
        else:
            line.paid_amount = line.amount
        line.ledger_entry = result.entries[0] if result.entries else None


def _save_lines(lines) -> None:
    """Lines a step made are written once, with what they paid; earlier ones are updated."""
    earlier = [line for line in lines if line.pk is not None]
    insert_objects([line for line in lines if line.pk is None])
    update_rows(AwardLine, "paid_amount", {line.pk: line.paid_amount for line in earlier})
    update_rows(AwardLine, "ledger_entry", {line.pk: line.ledger_entry_id for line in earlier})


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
