"""Opening accounts, pay-ins, and holds on the deposit."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import pagecache
from common.db import atomic_service, insert_objects, update_rows
from merchants.models import Merchant

from ..models import DepositAccount, LedgerEntry
from ..selectors import (
    held_for,
)
from ._ledger import (
    Kind,
    LedgerResult,
    _after_money_in,
    _digest,
    _earlier_entries,
    _key,
    _lock,
    _money,
    _money_text,
    _Operation,
    _required_text,
    _same_request,
    log_entries,
)

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
        # Keys drawn under the deposit's lock rise in the order its entries were posted.
        insert_objects(posted)
        log_entries(posted)
        touched = {entry.account_id for entry in posted}
        update_rows(
            DepositAccount,
            "held",
            {pk: accounts[pk].held for pk in touched},
            also={"updated_at": timezone.now()},
        )
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
