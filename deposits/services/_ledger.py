"""The ledger's plumbing every movement shares: validation, locks, idempotency, the
entries' log, telling the store, and the top-up state a movement updates."""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common import pagecache
from common.dates import local_datetime
from common.logs import info_on_commit
from common.prepared import PreparedRead
from merchants.models import Merchant, MerchantMember
from outbox.models import OutboundMessage
from outbox.services import queue_messages
from webhooks import events as webhook_events
from webhooks.models import EventType

from ..destinations import Destination
from ..models import ZERO, DepositAccount, Disbursement, LedgerEntry
from ..policy import required_deposit
from ..selectors import (
    how_to_pay,
    shortfall,
)
from ._one_statement import ACCOUNT_COLUMNS, can_write_in_one_statement, write_in_one_statement

TOP_UP_PERIOD = timedelta(days=15)
MAX_KEY_LENGTH = 200
# Stores read deadlines in China time, whatever zone the request that caused them ran in.
CHINA_TIME = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# What a DecimalField(max_digits=14, decimal_places=2) can hold.
MAX_AMOUNT = Decimal("999999999999.99")

Kind = LedgerEntry.Kind

ledger_logger = logging.getLogger("ledger")


class IdempotencyConflict(ValidationError):
    """The idempotency key was already used by a call with other arguments."""


@dataclass(frozen=True)
class LedgerResult:
    entries: list[LedgerEntry]
    disbursement: Disbursement | None = None


@dataclass(frozen=True)
class PayoutResult:
    entries: list[LedgerEntry]
    amount_paid: Decimal
    capped_paid: Decimal
    advanced: Decimal
    disbursement: Disbursement | None = field(repr=False)


# --- validation -------------------------------------------------------------------------


def _money(value, *, label: str, signed: bool = False, zero: bool = False) -> Decimal:
    """A yuan amount with at most two decimals, positive unless `signed`, non-zero unless `zero`."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationError(
            _("%(label)s must be an amount in yuan."), code="invalid", params={"label": label}
        )
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise ValidationError(
            _("%(label)s is out of range."), code="out_of_range", params={"label": label}
        )
    if amount != amount.quantize(CENT):
        raise ValidationError(
            _("%(label)s can have at most two decimals."), code="precision", params={"label": label}
        )
    if amount == 0 and not zero:
        raise ValidationError(_("%(label)s cannot be zero."), code="zero", params={"label": label})
    if amount < 0 and not signed:
        raise ValidationError(
            _("%(label)s must be more than zero."), code="negative", params={"label": label}
        )
    return amount.quantize(CENT)


def _key(idempotency_key: str) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValidationError(_("An idempotency key is required."), code="key_required")
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise ValidationError(_("The idempotency key is too long."), code="key_too_long")
    return idempotency_key


def _required_text(value: str, *, label: str) -> str:
    if not value or not value.strip():
        raise ValidationError(_("%(label)s is required."), code="required", params={"label": label})
    return value.strip()


# --- ledger plumbing --------------------------------------------------------------------


# Every movement of money locks its account first, most while the account is busiest:
# compiled once.
_LOCKED_ACCOUNT = PreparedRead(
    lambda pk: DepositAccount.objects.select_for_update(no_key=True).filter(pk=pk)
)


def _lock(account: DepositAccount, *, store: bool = True) -> DepositAccount:
    """Lock the account's row, and first its store's (the order in common.db) when the step
    may change the store's status (a restriction lifted or imposed, an exit). Holds and
    payouts never do, and leave the store's row alone: one lock less on the busiest path."""
    merchant = None
    if store:
        merchant = Merchant.objects.select_for_update(no_key=True).get(pk=account.merchant_id)
    locked = _LOCKED_ACCOUNT.get(account.pk)
    if locked is None:
        raise DepositAccount.DoesNotExist("The deposit account is gone.")
    # The caller's instance, brought up to date, stays the one it goes on using; its store
    # (the same row, an account never changes store) stays cached.
    for column in DepositAccount._meta.concrete_fields:
        setattr(account, column.attname, getattr(locked, column.attname))
    # Whatever the step changes, the store's pages are stale once it commits.
    pagecache.bump(pagecache.store_scope(account.merchant_id))
    if merchant is not None:
        account.merchant = merchant
    return account


def _digest(operation: str, account: DepositAccount, **arguments) -> str:
    payload = json.dumps(
        {
            "operation": operation,
            "account": account.pk,
            **{k: str(v) for k, v in arguments.items()},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _same_request(entry: LedgerEntry, digest: str) -> None:
    """Refuse a key that an earlier call used for something else."""
    if entry.request_digest != digest:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different operation."), code="key_reused"
        )


def _earlier_entries(key: str, digest: str) -> list[LedgerEntry] | None:
    """What an earlier call with this key wrote, or None if there was none."""
    entries = list(LedgerEntry.objects.filter(operation_key=key).order_by("id"))
    if not entries:
        return None
    _same_request(entries[0], digest)
    return entries


class _Operation:
    """The entries one service call posts; each moves the locked account's amounts.

    Entries are written together, with the account, by `save_account()` while the
    account's lock is held: one INSERT for all of them, and on PostgreSQL one statement
    with the account's UPDATE (`save_entries`).
    """

    def __init__(self, account, *, key, digest, reference="", actor=None, memo=""):
        self.account = account
        self.key = key
        self.digest = digest
        self.reference = reference
        self.actor = actor
        self.memo = memo
        self.entries: list[LedgerEntry] = []

    def post(self, kind, *, balance=ZERO, held=ZERO, arrears=ZERO, memo=None) -> LedgerEntry:
        account = self.account
        account.balance += balance
        account.held += held
        account.arrears += arrears
        entry = LedgerEntry(
            account=account,
            kind=kind,
            balance_delta=balance,
            held_delta=held,
            arrears_delta=arrears,
            balance_after=account.balance,
            held_after=account.held,
            arrears_after=account.arrears,
            reference=self.reference,
            actor=self.actor,
            memo=self.memo if memo is None else memo,
            # The first entry carries the caller's key; the others are told apart by kind.
            idempotency_key=f"{self.key}#{kind}" if self.entries else self.key,
            operation_key=self.key,
            request_digest=self.digest,
        )
        self.entries.append(entry)
        return entry

    def save_account(self) -> None:
        save_entries(self.account, self.entries)


def save_entries(
    account: DepositAccount, entries: list[LedgerEntry], disbursements: list[Disbursement] = ()
) -> None:
    """Write `entries` (posted on the locked `account`, in order) in one INSERT, the
    account's new amounts, and the `disbursements` that pay out of the entries; on
    PostgreSQL all in one statement. Nothing when there are no entries."""
    if not entries:
        return
    using = account._state.db or DEFAULT_DB_ALIAS
    disbursements = list(disbursements)
    if can_write_in_one_statement(using, entries, disbursements):
        write_in_one_statement(account, entries, disbursements, using=using)
    else:
        LedgerEntry.objects.using(using).bulk_create(entries)
        account.save(using=using, update_fields=list(ACCOUNT_COLUMNS))
        Disbursement.objects.using(using).bulk_create(disbursements)
    log_entries(entries)


def log_entries(entries: list[LedgerEntry]) -> None:
    """One log line per ledger entry, once it has committed."""
    info_on_commit(
        ledger_logger,
        [
            (
                f"ledger {entry.account_id} {entry.kind}: balance {entry.balance_delta:+}, "
                f"held {entry.held_delta:+}, arrears {entry.arrears_delta:+}",
                {
                    "entry_id": entry.pk,
                    "account_id": entry.account_id,
                    "kind": entry.kind,
                    "balance_delta": entry.balance_delta,
                    "held_delta": entry.held_delta,
                    "arrears_delta": entry.arrears_delta,
                    "balance_after": entry.balance_after,
                    "reference": entry.reference,
                    "operation_key": entry.operation_key,
                    "actor_id": entry.actor_id,
                },
            )
            for entry in entries
        ],
    )


def _merchant_disbursement(owner, *, amount, method, number, reference, ledger_entry):
    """Money to a store's owner: to the account the platform was given, encrypted like a
    consumer's, and sendable at once (a store never waits to choose)."""
    disbursement = Disbursement(
        payee=owner,
        payee_kind=Disbursement.PayeeKind.MERCHANT,
        amount=amount,
        reference=reference,
        ledger_entry=ledger_entry,
    )
    disbursement.set_destination(Destination.of(method=method, number=number))
    disbursement.save(force_insert=True)
    return disbursement


def _store_owner(merchant: Merchant):
    owner = (
        MerchantMember.objects.filter(merchant=merchant, role=MerchantMember.Role.OWNER)
        .select_related("user")
        .first()
    )
    if owner is None:
        raise ValidationError(_("The store has no owner to receive the money."), code="no_owner")
    return owner.user


def _tell_store(
    merchant: Merchant, compose: Callable[[], tuple[str, str]], *, event: str, **facts
) -> None:
    """Tell the members who may see the deposit (the owner, and staff granted it) what
    `compose` writes, each in their own language: by e-mail, or by text message to a mobile
    login without one; queued in this transaction, sent after it commits. The store's
    systems hear it as the webhook `event` with `facts`."""
    webhook_events.deposit_event(event, merchant.pk, **facts)
    users = [
        member.user
        for member in MerchantMember.objects.filter(merchant=merchant)
        .seeing_deposit()
        .select_related("user")
    ]
    texts, messages = {}, []
    for user in users:
        language = user.message_language
        if language not in texts:
            with translation.override(language):
                texts[language] = compose()
        subject, body = texts[language]
        if user.email_address:
            messages.append((OutboundMessage.Channel.EMAIL, user.email_address, subject, body))
        elif user.mobile:
            messages.append((OutboundMessage.Channel.SMS, user.mobile, "", f"{subject}: {body}"))
    queue_messages(messages)


def _money_text(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


# --- top-up state ----------------------------------------------------------------------


def _open_top_up_notice(account: DepositAccount, *, now: datetime, required: Decimal) -> Decimal:
    """Open or update the notice for a short account (locked by the caller)."""
    due = shortfall(account, required)
    if due <= 0:
        _close_top_up_notice(account)
        return ZERO
    is_new = account.top_up_due_by is None
    changed = due != account.top_up_amount_due
    account.top_up_amount_due = due
    if is_new:
        account.top_up_due_by = now + TOP_UP_PERIOD
    account.save(update_fields=["top_up_amount_due", "top_up_due_by", "updated_at"])
    if is_new or changed:
        _tell_store(
            account.merchant,
            lambda: (
                gettext("Deposit top-up required: %(store)s") % {"store": account.merchant.name},
                gettext(
                    "Your deposit is below what your store must keep. Please top up %(amount)s "
                    "by %(due_by)s. After that date the store is restricted until it is topped up."
                )
                % {"amount": _money_text(due), "due_by": local_datetime(account.top_up_due_by)}
                + "\n\n"
                + how_to_pay(account.merchant),
            ),
            event=EventType.DEPOSIT_TOP_UP_REQUIRED,
            amount_due=webhook_events.money(due),
            due_by=webhook_events.moment(account.top_up_due_by),
        )
    return due


def _close_top_up_notice(account: DepositAccount) -> None:
    """Clear the notice and lift a restriction that a lapsed top-up caused."""
    if account.top_up_due_by is None and account.restricted_for_top_up_at is None:
        return
    if account.restricted_for_top_up_at is not None:
        lifted = Merchant.objects.filter(
            pk=account.merchant_id, status=Merchant.Status.RESTRICTED
        ).update(status=Merchant.Status.ACTIVE)
        if lifted:
            account.merchant.status = Merchant.Status.ACTIVE
            _tell_store(
                account.merchant,
                lambda: (
                    gettext("Restriction lifted: %(store)s") % {"store": account.merchant.name},
                    gettext("Your deposit is topped up and your store is no longer restricted."),
                ),
                event=EventType.DEPOSIT_RESTRICTION_LIFTED,
            )
    account.top_up_amount_due = ZERO
    account.top_up_due_by = None
    account.top_up_request_key = ""
    account.restricted_for_top_up_at = None
    account.save(
        update_fields=[
            "top_up_amount_due",
            "top_up_due_by",
            "top_up_request_key",
            "restricted_for_top_up_at",
            "updated_at",
        ]
    )


def _after_money_in(account: DepositAccount) -> None:
    """Money came in: close the notice when covered, else lower what is still due."""
    if account.top_up_due_by is None and account.restricted_for_top_up_at is None:
        return
    due = shortfall(account, required_deposit(account.merchant))
    if due <= 0:
        _close_top_up_notice(account)
    else:
        account.top_up_amount_due = due
        account.save(update_fields=["top_up_amount_due", "updated_at"])


def _may_fall_short(account: DepositAccount, most_required: Decimal, *, paying: Decimal) -> bool:
    """Whether a payout of `paying` could leave the store short of `most_required`, judged
    on the caller's copy of the account: a payout lowers the balance less arrears by at
    most what it pays."""
    return account.balance - account.arrears - paying < most_required


def _store_with_categories(account: DepositAccount) -> Merchant:
    """The store and what `required_under` reads of it."""
    return Merchant.objects.prefetch_related("categories").get(pk=account.merchant_id)


def _after_money_out(account: DepositAccount, *, required: Decimal) -> None:
    if shortfall(account, required) > 0:
        _open_top_up_notice(account, now=timezone.now(), required=required)
