"""Leaving the platform: exit, the refund, forfeiture, and adjustments."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.db import atomic_service
from merchants.models import Merchant

from ..models import DepositAccount, Disbursement, LedgerEntry
from ..policy import required_deposit
from ..selectors import (
    EXIT_WAITING_PERIOD,
)
from ._ledger import (
    Kind,
    LedgerResult,
    _after_money_in,
    _close_top_up_notice,
    _digest,
    _earlier_entries,
    _key,
    _lock,
    _merchant_disbursement,
    _money,
    _money_text,
    _open_top_up_notice,
    _Operation,
    _required_text,
    _store_owner,
)

# The longest claim window after an order completes (counterfeit claims).
EXIT_CLAIM_WINDOW = timedelta(days=90)

# Higher layers register checks that can keep a store from leaving (e.g. an open
# complaint) in their AppConfig.ready(); each returns a reason, or None when it has none.
EXIT_BLOCKERS: list[Callable[[Merchant], str | None]] = []


# --- leaving the platform ---------------------------------------------------------------


@atomic_service
def request_exit(*, account: DepositAccount, actor, now: datetime) -> DepositAccount:
    """Record that the store asked to leave; the deposit is refundable after the waiting period."""
    account = _lock(account)
    if account.merchant.status not in (Merchant.Status.ACTIVE, Merchant.Status.RESTRICTED):
        raise ValidationError(_("Only an open store can ask to leave."), code="not_open")
    Merchant.objects.filter(pk=account.merchant_id).update(status=Merchant.Status.CLOSING)
    account.merchant.status = Merchant.Status.CLOSING
    account.closing_requested_at = now
    account.save(update_fields=["closing_requested_at", "updated_at"])
    return account


def exit_blockers(account: DepositAccount, *, now: datetime) -> list[str]:
    """Why the store cannot have its deposit back yet; empty when it can."""
    merchant = account.merchant
    reasons = []
    if merchant.status != Merchant.Status.CLOSING:
        reasons.append(gettext("The store has not asked to leave."))
    elif (
        account.closing_requested_at is None
        or now < account.closing_requested_at + EXIT_WAITING_PERIOD
    ):
        reasons.append(gettext("30 days have not passed since the store asked to leave."))
    if account.held:
        reasons.append(gettext("Part of the deposit is still held for claims."))
    if account.arrears > account.balance:
        reasons.append(
            gettext("The store owes %(amount)s more than its deposit.")
            % {"amount": _money_text(account.arrears - account.balance)}
        )
    last_completed = merchant.orders.aggregate(last=Max("completed_at"))["last"]
    if last_completed is not None and now < last_completed + EXIT_CLAIM_WINDOW:
        reasons.append(
            gettext("The claim window of the store's last completed order is still open.")
        )
    reasons.extend(reason for blocker in EXIT_BLOCKERS if (reason := blocker(merchant)))
    return reasons


@atomic_service
def exit_refund(
    *,
    account: DepositAccount,
    actor,
    idempotency_key: str,
    now: datetime,
    payee_method: str = Disbursement.Method.BANK,
    payee_account: str = "",
) -> LedgerResult:
    """Return the deposit, less arrears, to a store that left, and close the store."""
    key = _key(idempotency_key)
    account = _lock(account)
    digest = _digest("exit_refund", account, payee_method=payee_method, payee_account=payee_account)
    if (earlier := _earlier_entries(key, digest)) is not None:
        disbursement = Disbursement.objects.filter(ledger_entry__in=earlier).first()
        return LedgerResult(entries=earlier, disbursement=disbursement)
    if reasons := exit_blockers(account, now=now):
        raise ValidationError(reasons, code="exit_blocked")
    owner = _store_owner(account.merchant)
    operation = _Operation(account, key=key, digest=digest, actor=actor)
    if account.arrears:
        operation.post(Kind.ARREARS_SETTLEMENT, balance=-account.arrears, arrears=-account.arrears)
    refund = account.balance
    # Written even when nothing is refunded: it records that the store left.
    refund_entry = operation.post(Kind.EXIT_REFUND, balance=-refund)
    operation.save_account()
    disbursement = None
    if refund:
        disbursement = _merchant_disbursement(
            owner,
            amount=refund,
            method=payee_method,
            number=payee_account,
            reference="",
            ledger_entry=refund_entry,
        )
    _close_top_up_notice(account)
    Merchant.objects.filter(pk=account.merchant_id).update(status=Merchant.Status.CLOSED)
    account.merchant.status = Merchant.Status.CLOSED
    return LedgerResult(entries=operation.entries, disbursement=disbursement)


@atomic_service
def forfeit(*, account: DepositAccount, actor, idempotency_key: str, memo: str) -> LedgerResult:
    """The platform keeps the deposit of a store removed for counterfeits.

    Open claims must be paid (nothing held) first; arrears are settled from the deposit
    before the rest is forfeited. The store is marked removed.
    """
    memo = _required_text(memo, label=_("The memo"))
    key = _key(idempotency_key)
    account = _lock(account)
    digest = _digest("forfeit", account)
    if (earlier := _earlier_entries(key, digest)) is not None:
        return LedgerResult(entries=earlier)
    if account.held:
        raise ValidationError(
            _("Pay or release the held claims before forfeiting the deposit."), code="held"
        )
    operation = _Operation(account, key=key, digest=digest, actor=actor, memo=memo)
    settled = min(account.arrears, account.balance)
    if settled:
        operation.post(Kind.ARREARS_SETTLEMENT, balance=-settled, arrears=-settled)
    operation.post(Kind.FORFEITURE, balance=-account.balance)
    operation.save_account()
    _close_top_up_notice(account)
    Merchant.objects.filter(pk=account.merchant_id).update(status=Merchant.Status.REMOVED)
    account.merchant.status = Merchant.Status.REMOVED
    return LedgerResult(entries=operation.entries)


@atomic_service
def adjust(
    *,
    account: DepositAccount,
    balance_delta: Decimal,
    arrears_delta: Decimal,
    memo: str,
    actor,
    idempotency_key: str,
    reference: str = "",
) -> LedgerEntry:
    """A senior reviewer's correction of the balance or arrears, explained in the memo."""
    if actor is None or not actor.has_perm("deposits.adjust_ledger"):
        raise PermissionDenied(gettext("Only senior reviewers adjust the ledger."))
    memo = _required_text(memo, label=_("The memo"))
    balance_delta = _money(balance_delta, label=_("The balance change"), signed=True, zero=True)
    arrears_delta = _money(arrears_delta, label=_("The arrears change"), signed=True, zero=True)
    if not balance_delta and not arrears_delta:
        raise ValidationError(
            _("An adjustment must change the balance or the arrears."), code="empty"
        )
    key = _key(idempotency_key)
    account = _lock(account)
    digest = _digest(
        "adjust", account, balance_delta=balance_delta, arrears_delta=arrears_delta, memo=memo
    )
    if (earlier := _earlier_entries(key, digest)) is not None:
        return earlier[0]
    if account.balance + balance_delta < account.held:
        raise ValidationError(
            _("The balance cannot go below what is held (%(held)s)."),
            code="below_held",
            params={"held": _money_text(account.held)},
        )
    if account.arrears + arrears_delta < 0:
        raise ValidationError(_("The arrears cannot go below zero."), code="negative_arrears")
    operation = _Operation(
        account, key=key, digest=digest, reference=reference, actor=actor, memo=memo
    )
    entry = operation.post(Kind.ADJUSTMENT, balance=balance_delta, arrears=arrears_delta)
    operation.save_account()
    if balance_delta - arrears_delta < 0:
        # A correction that takes money out leaves the store as short as a payout would.
        _open_top_up_notice(
            account, now=timezone.now(), required=required_deposit(account.merchant)
        )
    else:
        _after_money_in(account)
    return entry
