"""Every write to deposit accounts, ledger entries and disbursements.

Each function is one transaction (run again on a deadlock, `common.db.atomic_service`)
that locks the store's row and then its account's, in the project's lock order, so two
requests for the same deposit run one after the other. Functions that post entries take an
idempotency key: a second call with the same key returns what the first one wrote and
writes nothing; the same key with other arguments is refused. A call that finds nothing
to do (a capped hold with nothing available, a release with nothing held) writes nothing,
so its key stays free. The account passed in is refreshed in place with the new amounts.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from common import encryption, pagecache
from common.dates import local_datetime
from common.db import atomic_service, update_rows
from common.logs import info_on_commit
from common.recorded_text import recorded
from merchants.models import Merchant, MerchantMember, StoreFactChange
from outbox.models import OutboundMessage
from outbox.services import queue_messages

from .destinations import Destination
from .models import ZERO, DepositAccount, Disbursement, LedgerEntry, PayoutAccount
from .policy import most_required_under, policy_in_force, required_deposit, required_under
from .selectors import (
    ACCOUNT_REMINDER_INTERVAL,
    EXIT_WAITING_PERIOD,
    held_for,
    how_to_pay,
    shortfall,
)

TOP_UP_PERIOD = timedelta(days=15)
# The longest claim window after an order completes (counterfeit claims).
EXIT_CLAIM_WINDOW = timedelta(days=90)
MAX_KEY_LENGTH = 200
# Stores read deadlines in China time, whatever zone the request that caused them ran in.
CHINA_TIME = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# What a DecimalField(max_digits=14, decimal_places=2) can hold.
MAX_AMOUNT = Decimal("999999999999.99")

# Higher layers register checks that can keep a store from leaving (e.g. an open
# complaint) in their AppConfig.ready(); each returns a reason, or None when it has none.
EXIT_BLOCKERS: list[Callable[[Merchant], str | None]] = []

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


def _lock(account: DepositAccount, *, store: bool = True) -> DepositAccount:
    """Lock the account's row, and first its store's (the order in common.db) when the step
    may change the store's status (a restriction lifted or imposed, an exit). Holds and
    payouts never do, and leave the store's row alone: one lock less on the busiest path."""
    merchant = None
    if store:
        merchant = Merchant.objects.select_for_update(no_key=True).get(pk=account.merchant_id)
    account.refresh_from_db(from_queryset=DepositAccount.objects.select_for_update(no_key=True))
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


def _earlier_entries_and_held(
    account: DepositAccount, *, key: str, digest: str, reference: str
) -> tuple[list[LedgerEntry] | None, Decimal]:
    """`_earlier_entries()` and what `reference` still holds on the account, in one read:
    a payout makes it while it holds the deposit's lock."""
    entries = list(
        LedgerEntry.objects.filter(
            Q(operation_key=key) | Q(account=account, reference=reference)
        ).order_by("id")
    )
    earlier = [entry for entry in entries if entry.operation_key == key]
    if earlier:
        _same_request(earlier[0], digest)
    held = sum(
        (e.held_delta for e in entries if e.account_id == account.pk and e.reference == reference),
        ZERO,
    )
    return earlier or None, held


class _Operation:
    """The entries one service call posts; each moves the locked account's amounts.

    Entries are written together, with the account, by `save_account()`: one INSERT for
    all of them, while the account's lock is held.
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
        LedgerEntry.objects.bulk_create(self.entries)
        self.account.save(update_fields=["balance", "held", "arrears", "updated_at"])
        log_entries(self.entries)


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


def _tell_store(merchant: Merchant, compose: Callable[[], tuple[str, str]]) -> None:
    """Tell the members who may see the deposit (the owner, and staff granted it) what
    `compose` writes, each in their own language: by e-mail, or by text message to a mobile
    login without one; queued in this transaction, sent after it commits."""
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


# --- accounts and pay-ins ---------------------------------------------------------------


def get_or_open_account(*, merchant: Merchant) -> DepositAccount:
    account, _created = DepositAccount.objects.get_or_create(merchant=merchant)
    return account


@atomic_service
def record_pay_in(
    *,
    account: DepositAccount,
    amount: Decimal,
    kind: str = Kind.PAY_IN,
    reference: str,
    idempotency_key: str,
    actor=None,
    memo: str = "",
) -> LedgerResult:
    """Credit money the store paid in; arrears are settled first, then the balance grows."""
    amount = _money(amount, label=_("The amount"))
    key = _key(idempotency_key)
    if kind not in (Kind.PAY_IN, Kind.TOP_UP):
        raise ValidationError(_("A pay-in is either a pay-in or a top-up."), code="invalid_kind")
    account = _lock(account)
    digest = _digest("record_pay_in", account, amount=amount, kind=kind, reference=reference)
    if (earlier := _earlier_entries(key, digest)) is not None:
        return LedgerResult(entries=earlier)
    operation = _Operation(
        account, key=key, digest=digest, reference=reference, actor=actor, memo=memo
    )
    settled = min(amount, account.arrears)
    if settled:
        operation.post(Kind.ARREARS_SETTLEMENT, arrears=-settled)
    if amount - settled:
        operation.post(kind, balance=amount - settled)
    operation.save_account()
    _after_money_in(account)
    return LedgerResult(entries=operation.entries)


# --- holds ------------------------------------------------------------------------------


@atomic_service
def hold(
    *,
    account: DepositAccount,
    amount: Decimal,
    reference: str,
    idempotency_key: str,
    actor=None,
    cap_at_available: bool = False,
) -> LedgerEntry | None:
    """Freeze part of the deposit for a reference; capped, it holds what is available."""
    amount = _money(amount, label=_("The amount"))
    reference = _required_text(reference, label=_("The reference"))
    key = _key(idempotency_key)
    account = _lock(account, store=False)
    digest = _digest(
        "hold", account, amount=amount, reference=reference, cap_at_available=cap_at_available
    )
    if (earlier := _earlier_entries(key, digest)) is not None:
        return earlier[0]
    to_hold = min(amount, account.available) if cap_at_available else amount
    if to_hold <= 0:
        return None
    if to_hold > account.available:
        raise ValidationError(
            _("Only %(available)s of the deposit is available."),
            code="insufficient",
            params={"available": _money_text(account.available)},
        )
    operation = _Operation(account, key=key, digest=digest, reference=reference, actor=actor)
    entry = operation.post(Kind.HOLD, held=to_hold)
    operation.save_account()
    return entry


@dataclass(frozen=True)
class HoldRequest:
    """One hold of `hold_many`: capped at what is available when its turn comes."""

    account_id: int
    reference: str
    amount: Decimal
    idempotency_key: str


@atomic_service
def hold_many(*, requests: list[HoldRequest], actor=None) -> list:
    """Capped holds on one or more accounts at once, in order: what `hold(...,
    cap_at_available=True)` would post for each, in one INSERT. The accounts are locked in
    one statement in ascending id, so two batches never wait for each other in a cycle.
    Returns, per request, its entry (the earlier one for a replayed key) or None when
    nothing was available."""
    checked = [
        HoldRequest(
            account_id=r.account_id,
            reference=_required_text(r.reference, label=_("The reference")),
            amount=_money(r.amount, label=_("The amount")),
            idempotency_key=_key(r.idempotency_key),
        )
        for r in requests
    ]
    accounts = {
        account.pk: account
        for account in DepositAccount.objects.select_for_update(no_key=True)
        .filter(pk__in={r.account_id for r in checked})
        .order_by("pk")
    }
    earlier = {
        entry.idempotency_key: entry
        for entry in LedgerEntry.objects.filter(
            idempotency_key__in=[r.idempotency_key for r in checked]
        )
    }
    results, posted = [], []
    for request in checked:
        account = accounts[request.account_id]
        digest = _digest(
            "hold",
            account,
            amount=request.amount,
            reference=request.reference,
            cap_at_available=True,
        )
        if (entry := earlier.get(request.idempotency_key)) is not None:
            _same_request(entry, digest)
            results.append(entry)
            continue
        to_hold = min(request.amount, account.available)
        if to_hold <= 0:
            results.append(None)
            continue
        operation = _Operation(
            account,
            key=request.idempotency_key,
            digest=digest,
            reference=request.reference,
            actor=actor,
        )
        entry = operation.post(Kind.HOLD, held=to_hold)
        posted.append(entry)
        results.append(entry)
    if posted:
        LedgerEntry.objects.bulk_create(posted)
        log_entries(posted)
        touched = {entry.account_id for entry in posted}
        update_rows(DepositAccount, "held", {pk: accounts[pk].held for pk in touched})
        DepositAccount.objects.filter(pk__in=touched).update(updated_at=timezone.now())
        pagecache.bump(*{pagecache.store_scope(accounts[pk].merchant_id) for pk in touched})
    return results


@atomic_service
def release_hold(
    *, account: DepositAccount, reference: str, idempotency_key: str, actor=None
) -> LedgerEntry | None:
    """Release everything still held for the reference."""
    reference = _required_text(reference, label=_("The reference"))
    key = _key(idempotency_key)
    account = _lock(account, store=False)
    digest = _digest("release_hold", account, reference=reference)
    if (earlier := _earlier_entries(key, digest)) is not None:
        return earlier[0]
    still_held = held_for(account=account, reference=reference)
    if still_held <= 0:
        return None
    operation = _Operation(account, key=key, digest=digest, reference=reference, actor=actor)
    entry = operation.post(Kind.RELEASE, held=-still_held)
    operation.save_account()
    return entry


# --- payouts ----------------------------------------------------------------------------


@atomic_service
def pay_out(
    *,
    account: DepositAccount,
    reference: str,
    amount: Decimal,
    capped_amount: Decimal = ZERO,
    payee,
    destination: Destination | None,
    account_due_at: datetime | None = None,
    idempotency_key: str,
    actor=None,
    memo: str = "",
) -> PayoutResult:
    """Pay a consumer's claim in full, and a capped part as far as the deposit allows.

    `amount` comes from the claim's hold, then the free balance; the platform advances
    the rest and the store owes it as arrears. `capped_amount` (the counterfeit multiple)
    is paid only from what remains of the claim's hold and the free balance. Whatever the
    claim still holds afterwards is released.

    The money leaves for `destination`; without one (the consumer has not chosen yet) the
    payout waits as awaiting account until `account_due_at`, when it falls back to the
    Alipay account of the payee's login (`fall_back_to_login`).
    """
    amount = _money(amount, label=_("The amount"), zero=True)
    capped_amount = _money(capped_amount, label=_("The capped amount"), zero=True)
    if not amount + capped_amount:
        raise ValidationError(_("A payout pays something."), code="zero")
    reference = _required_text(reference, label=_("The reference"))
    if destination is None and account_due_at is None:
        raise ValidationError(
            _("A payout without an account needs the moment it falls back to the login."),
            code="account_due_at",
        )
    key = _key(idempotency_key)
    # The destination is left out: it is not what the ledger moves, and the consumer may
    # change it until the payout is sent, so a replay must still find its entries.
    digest = _digest(
        "pay_out",
        account,
        reference=reference,
        amount=amount,
        capped_amount=capped_amount,
        payee=payee.pk,
    )
    # What the store must keep only decides whether a top-up notice follows. It is read
    # before the lock, and not at all when even the policy's highest tier could not leave
    # the store short after this payout (judged again under the lock, on the true amounts).
    policy = policy_in_force()
    most_required = most_required_under(policy)
    merchant = None
    if _may_fall_short(account, most_required, paying=amount + capped_amount):
        merchant = _store_with_categories(account)
    account = _lock(account, store=False)
    earlier, held_for_claim = _earlier_entries_and_held(
        account, key=key, digest=digest, reference=reference
    )
    if earlier is not None:
        disbursement = Disbursement.objects.get(ledger_entry=earlier[0])
        advanced = sum((e.arrears_delta for e in earlier if e.kind == Kind.PLATFORM_ADVANCE), ZERO)
        return PayoutResult(
            entries=earlier,
            amount_paid=disbursement.amount,
            capped_paid=disbursement.amount - amount,
            advanced=advanced,
            disbursement=disbursement,
        )

    free = account.available
    from_hold = min(amount, held_for_claim)
    from_free = min(amount - from_hold, free)
    advanced = amount - from_hold - from_free
    hold_left, free_left = held_for_claim - from_hold, free - from_free
    capped_paid = min(capped_amount, hold_left + free_left)
    capped_from_hold = min(capped_paid, hold_left)
    held_used = from_hold + capped_from_hold
    paid_from_deposit = from_hold + from_free + capped_paid
    if not amount + capped_paid:
        # Only a capped part, and nothing left to pay it from: nothing moves.
        return PayoutResult(
            entries=[], amount_paid=ZERO, capped_paid=ZERO, advanced=ZERO, disbursement=None
        )

    operation = _Operation(
        account, key=key, digest=digest, reference=reference, actor=actor, memo=memo
    )
    payout_entry = operation.post(Kind.CLAIM_PAYOUT, balance=-paid_from_deposit, held=-held_used)
    if advanced:
        operation.post(Kind.PLATFORM_ADVANCE, arrears=advanced)
    if held_for_claim - held_used:
        operation.post(Kind.RELEASE, held=-(held_for_claim - held_used))
    operation.save_account()
    disbursement = Disbursement(
        payee=payee,
        payee_kind=Disbursement.PayeeKind.CONSUMER,
        amount=amount + capped_paid,
        reference=reference,
        ledger_entry=payout_entry,
    )
    if destination is None:
        disbursement.status = Disbursement.Status.AWAITING_ACCOUNT
        disbursement.account_due_at = account_due_at
    else:
        disbursement.set_destination(destination)
    disbursement.save(force_insert=True)
    if shortfall(account, most_required) > 0:
        # Only when the caller's copy of the account was too old to foresee it is the
        # store read under the lock.
        account.merchant = merchant or _store_with_categories(account)
        _after_money_out(account, required=required_under(policy, account.merchant))
    return PayoutResult(
        entries=operation.entries,
        amount_paid=amount + capped_paid,
        capped_paid=capped_paid,
        advanced=advanced,
        disbursement=disbursement,
    )


@atomic_service
def reimburse(
    *,
    account: DepositAccount,
    amount: Decimal,
    reference: str,
    idempotency_key: str,
    actor=None,
    to_merchant_directly: bool = False,
    payee_method: str = Disbursement.Method.BANK,
    payee_account: str = "",
) -> LedgerResult:
    """The platform makes the store whole after an appeal lowered what it had to pay.

    Arrears are cancelled first; the rest goes back into the deposit, or, when the store
    paid the consumer itself, to the store owner as a disbursement.
    """
    amount = _money(amount, label=_("The amount"))
    reference = _required_text(reference, label=_("The reference"))
    key = _key(idempotency_key)
    account = _lock(account)
    digest = _digest(
        "reimburse",
        account,
        amount=amount,
        reference=reference,
        to_merchant_directly=to_merchant_directly,
        payee_method=payee_method,
        payee_account=payee_account,
    )
    if (earlier := _earlier_entries(key, digest)) is not None:
        disbursement = Disbursement.objects.filter(ledger_entry__in=earlier).first()
        return LedgerResult(entries=earlier, disbursement=disbursement)
    owner = _store_owner(account.merchant) if to_merchant_directly else None
    operation = _Operation(account, key=key, digest=digest, reference=reference, actor=actor)
    cancelled = min(amount, account.arrears)
    rest = amount - cancelled
    if cancelled:
        operation.post(Kind.ARREARS_SETTLEMENT, arrears=-cancelled)
    paid_directly = None
    if rest and to_merchant_directly:
        # The money leaves the platform; the entry records it without moving the deposit.
        paid_directly = operation.post(
            Kind.REIMBURSEMENT,
            memo=recorded(
                gettext_noop("%(amount)s paid to the store directly."), amount=_money_text(rest)
            ),
        )
    elif rest:
        operation.post(Kind.REIMBURSEMENT, balance=rest)
    operation.save_account()
    disbursement = None
    if paid_directly is not None:
        disbursement = _merchant_disbursement(
            owner,
            amount=rest,
            method=payee_method,
            number=payee_account,
            reference=reference,
            ledger_entry=paid_directly,
        )
    _after_money_in(account)
    return LedgerResult(entries=operation.entries, disbursement=disbursement)


# --- top-up notices and restriction -----------------------------------------------------


@atomic_service
def request_top_up(
    *, account: DepositAccount, now: datetime, idempotency_key: str | None = None
) -> Decimal:
    """Ask a short store to top up within TOP_UP_PERIOD; returns what is due (0 if covered).

    An open notice keeps its deadline; only the amount follows the account. A repeated
    key (e.g. one per policy change) does nothing the second time.
    """
    account = _lock(account)
    if idempotency_key and account.top_up_request_key == idempotency_key:
        return account.top_up_amount_due
    due = _open_top_up_notice(account, now=now, required=required_deposit(account.merchant, now))
    if idempotency_key and due:
        account.top_up_request_key = idempotency_key
        account.save(update_fields=["top_up_request_key", "updated_at"])
    return due


def recompute_after_store_facts_change(merchant: Merchant, change: StoreFactChange) -> None:
    """A listener of merchants.services.STORE_FACTS_CHANGED, run in the change's transaction.

    The store's facts changed, so its requirement may have: open, update or close the
    top-up notice exactly as a policy taking effect does, for the same stores (open ones).
    The key is the change's, so a replay of this change does nothing twice.
    """
    if merchant.status not in (Merchant.Status.ACTIVE, Merchant.Status.RESTRICTED):
        return
    request_top_up(
        account=get_or_open_account(merchant=merchant),
        now=timezone.now(),
        idempotency_key=f"store-facts-{change.pk}",
    )


@atomic_service
def restrict_lapsed_top_up(*, account: DepositAccount, now: datetime) -> bool:
    """Restrict an active store whose top-up deadline has come and which is still short."""
    account = _lock(account)
    if account.top_up_due_by is None or now < account.top_up_due_by:
        return False
    if shortfall(account, required_deposit(account.merchant, now)) <= 0:
        _close_top_up_notice(account)
        return False
    restricted = Merchant.objects.filter(
        pk=account.merchant_id, status=Merchant.Status.ACTIVE
    ).update(status=Merchant.Status.RESTRICTED)
    if not restricted:
        return False
    account.merchant.status = Merchant.Status.RESTRICTED
    account.restricted_for_top_up_at = now
    account.save(update_fields=["restricted_for_top_up_at", "updated_at"])
    _tell_store(
        account.merchant,
        lambda: (
            gettext("Store restricted: %(store)s") % {"store": account.merchant.name},
            gettext(
                "The top-up deadline has passed and your deposit is still short by "
                "%(amount)s. Your store is restricted until the deposit is topped up."
            )
            % {"amount": _money_text(account.top_up_amount_due)},
        ),
    )
    return True


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
    _after_money_in(account)
    return entry


# --- payout accounts and destinations --------------------------------------------------


@atomic_service
def save_payout_account(
    *, owner, method: str, number: str, bank_name: str = "", holder_name: str = ""
) -> PayoutAccount:
    """Check an account a person typed and keep it for them (encrypted); the same account
    typed again is the one kept before, not a second copy."""
    typed = Destination.checked(
        method=method, number=number, bank_name=bank_name, holder_name=holder_name
    )
    plain = typed.number()
    same_kind = PayoutAccount.objects.filter(
        owner=owner,
        method=typed.method,
        number_masked=typed.number_masked,
        bank_name=typed.bank_name,
        holder_name=typed.holder_name,
    )
    # A handful of rows at most: each is decrypted to compare, as the tokens never match.
    for saved in same_kind:
        if saved.destination.number() == plain:
            return saved
    # Every page of theirs that offers their saved accounts is stale once this commits.
    pagecache.bump(pagecache.reader_scope(owner.pk))
    return PayoutAccount.objects.create(
        owner=owner,
        method=typed.method,
        bank_name=typed.bank_name,
        holder_name=typed.holder_name,
        number_encrypted=typed.number_encrypted,
        number_masked=typed.number_masked,
    )


def _lock_disbursement(disbursement: Disbursement) -> Disbursement:
    disbursement.refresh_from_db(from_queryset=Disbursement.objects.select_for_update(no_key=True))
    return disbursement


def _save_destination(disbursement: Disbursement, *extra: str) -> None:
    disbursement.save(update_fields=[*Disbursement.DESTINATION_FIELDS, *extra, "updated_at"])


@atomic_service
def set_payout_destination(
    *, disbursement: Disbursement, destination: Destination, actor
) -> Disbursement:
    """Send an unsent payout to another account: the payee's own choice. A payout waiting
    for its account can now be sent; one sent already keeps the account it went to."""
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status == Disbursement.Status.SENT:
        raise ValidationError(
            _("This payout was sent already; its account can no longer change."),
            code="already_sent",
        )
    disbursement.set_destination(destination)
    disbursement.destination_fell_back = False
    disbursement.status_changed_by = actor
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        disbursement.status = Disbursement.Status.PENDING
    _save_destination(disbursement, "destination_fell_back", "status", "status_changed_by")
    return disbursement


@atomic_service
def fall_back_to_login(*, disbursement: Disbursement, now: datetime) -> bool:
    """A payout still without an account at its `account_due_at` goes to the Alipay
    account of the payee's login, as payouts always did. False when nothing was due (the
    payee chose meanwhile, or another worker did it)."""
    disbursement = _lock_disbursement(disbursement)
    if (
        disbursement.status != Disbursement.Status.AWAITING_ACCOUNT
        or disbursement.account_due_at > now
    ):
        return False
    disbursement.set_destination(Destination.alipay_login(disbursement.payee))
    disbursement.destination_fell_back = True
    disbursement.status = Disbursement.Status.PENDING
    _save_destination(disbursement, "destination_fell_back", "status")
    return True


@atomic_service
def note_account_reminder(*, disbursement: Disbursement, now: datetime) -> bool:
    """Whether the payee is due a reminder to choose an account now, recording that they
    got it: at most one a day (ACCOUNT_REMINDER_INTERVAL after the payout or the last
    reminder) while the payout waits, so a run repeated or run twice reminds once."""
    disbursement = _lock_disbursement(disbursement)
    last = disbursement.account_reminded_at or disbursement.created_at
    if (
        disbursement.status != Disbursement.Status.AWAITING_ACCOUNT
        or disbursement.account_due_at <= now
        or now < last + ACCOUNT_REMINDER_INTERVAL
    ):
        return False
    disbursement.account_reminded_at = now
    disbursement.save(update_fields=["account_reminded_at", "updated_at"])
    return True


# --- the keys of account numbers -----------------------------------------------------------

# Every column holding an encrypted account number (common/encryption.py).
ENCRYPTED_COLUMNS = (
    (PayoutAccount, "number_encrypted"),
    (Disbursement, "payee_account_encrypted"),
)
ROTATION_BATCH = 500


@dataclass
class Rotation:
    rotated: dict[str, int] = field(default_factory=dict)
    # (model label, pk) of the numbers no configured key opens.
    unreadable: list[tuple[str, int]] = field(default_factory=list)


def reencrypt_account_numbers() -> Rotation:
    """Encrypt every stored account number again under the first key of
    DJANGO_PAYOUT_ACCOUNT_KEYS, after a new key was put first. A batch of rows at a time,
    each locked while it changes, so it runs beside the site; running it again is
    harmless. A number no key opens is left as it is and reported."""
    rotation = Rotation()
    for model, column in ENCRYPTED_COLUMNS:
        label, last, done = model._meta.label, 0, 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update(no_key=True)
                    .filter(pk__gt=last)
                    .exclude(**{column: ""})
                    .only("pk", column)
                    .order_by("pk")[:ROTATION_BATCH]
                )
                if not rows:
                    break
                changed = []
                for row in rows:
                    try:
                        setattr(row, column, encryption.rotate(getattr(row, column)))
                    except encryption.UndecryptableError:
                        rotation.unreadable.append((label, row.pk))
                        continue
                    changed.append(row)
                model.objects.bulk_update(changed, [column])
                last, done = rows[-1].pk, done + len(changed)
        rotation.rotated[label] = done
    return rotation


# --- sending disbursements --------------------------------------------------------------


@atomic_service
def mark_disbursement_sent(
    *,
    disbursement: Disbursement,
    external_reference: str,
    actor,
    destination_version: int | None = None,
) -> Disbursement:
    """Finance sent the money. `destination_version`, from the page finance sent it from,
    refuses the step when the payee changed the account since that page was shown."""
    external_reference = _required_text(external_reference, label=_("The payment reference"))
    disbursement = _lock_disbursement(disbursement)
    if (
        disbursement.status == Disbursement.Status.SENT
        and disbursement.external_reference == external_reference
    ):
        return disbursement
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        raise _awaiting_account(disbursement)
    if disbursement.status != Disbursement.Status.PENDING:
        raise ValidationError(
            _("Only a pending disbursement can be marked sent (this one is %(status)s)."),
            code="not_pending",
            params={"status": disbursement.get_status_display()},
        )
    if destination_version is not None and destination_version != disbursement.destination_version:
        raise ValidationError(
            _(
                "The payee changed the account after this page was shown. Check the new "
                "account and send the money there."
            ),
            code="destination_changed",
        )
    disbursement.status = Disbursement.Status.SENT
    disbursement.external_reference = external_reference
    disbursement.sent_at = timezone.now()
    disbursement.status_changed_by = actor
    disbursement.save(
        update_fields=[
            "status",
            "external_reference",
            "sent_at",
            "status_changed_by",
            "updated_at",
        ]
    )
    return disbursement


def _awaiting_account(disbursement: Disbursement) -> ValidationError:
    return ValidationError(
        _(
            "The payee has not chosen an account yet: nothing can be sent until they do, or "
            "until %(due)s, when the payout goes to the Alipay account of their login."
        ),
        code="awaiting_account",
        params={"due": local_datetime(disbursement.account_due_at)},
    )


@atomic_service
def mark_disbursement_failed(*, disbursement: Disbursement, reason: str, actor) -> Disbursement:
    reason = _required_text(reason, label=_("The reason"))
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status == Disbursement.Status.FAILED:
        return disbursement
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        raise _awaiting_account(disbursement)
    if disbursement.status != Disbursement.Status.PENDING:
        raise ValidationError(
            _("Only a pending disbursement can fail (this one is %(status)s)."),
            code="not_pending",
            params={"status": disbursement.get_status_display()},
        )
    disbursement.status = Disbursement.Status.FAILED
    disbursement.failure_reason = reason
    disbursement.status_changed_by = actor
    disbursement.save(update_fields=["status", "failure_reason", "status_changed_by", "updated_at"])
    return disbursement


@atomic_service
def retry_disbursement(*, disbursement: Disbursement, actor) -> Disbursement:
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status != Disbursement.Status.FAILED:
        raise ValidationError(
            _("Only a failed disbursement can be retried (this one is %(status)s)."),
            code="not_failed",
            params={"status": disbursement.get_status_display()},
        )
    disbursement.status = Disbursement.Status.PENDING
    disbursement.attempts += 1
    disbursement.status_changed_by = actor
    disbursement.save(update_fields=["status", "attempts", "status_changed_by", "updated_at"])
    return disbursement
