"""Paying out of the deposit: payouts to consumers, the platform's reimbursements."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service
from common.prepared import PreparedRead
from common.recorded_text import recorded
from webhooks import events as webhook_events

from ..destinations import Destination
from ..models import ZERO, DepositAccount, Disbursement, LedgerEntry
from ..policy import most_required_under, policy_in_force, required_under
from ..selectors import (
    shortfall,
)
from ._ledger import (
    Kind,
    LedgerResult,
    PayoutResult,
    _after_money_in,
    _after_money_out,
    _digest,
    _earlier_entries,
    _key,
    _lock,
    _may_fall_short,
    _merchant_disbursement,
    _money,
    _money_text,
    _Operation,
    _required_text,
    _same_request,
    _store_owner,
    _store_with_categories,
    save_entries,
)

# --- payouts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutRequest:
    """One payout to a consumer, as `pay_out` takes it."""

    reference: str
    amount: Decimal
    payee: object
    destination: Destination | None
    idempotency_key: str
    capped_amount: Decimal = ZERO
    account_due_at: datetime | None = None
    actor: object = None
    memo: str = ""


@dataclass(frozen=True)
class _Checked:
    request: PayoutRequest
    reference: str
    amount: Decimal
    capped_amount: Decimal
    key: str


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
    request = PayoutRequest(
        reference=reference,
        amount=amount,
        capped_amount=capped_amount,
        payee=payee,
        destination=destination,
        account_due_at=account_due_at,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
    [result] = _pay_out_all(account, [request])
    return result


def pay_out_in_transaction(*, account: DepositAccount, request: PayoutRequest) -> PayoutResult:
    """`pay_out`, as one step of the caller's open transaction and without a savepoint of
    its own: for a service (a decision, an approval, an appeal's answer) that lets any error
    end its whole transaction, and so needs none. That is two round trips less per payout,
    one of them (the savepoint's release) while the deposit is locked."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("A payout in a transaction needs the transaction.")
    with transaction.atomic(savepoint=False):
        [result] = _pay_out_all(account, [request])
    return result


@atomic_service
def pay_out_many(*, account: DepositAccount, requests: list[PayoutRequest]) -> list[PayoutResult]:
    """Several payouts from one deposit, each exactly as `pay_out` makes it, in the order
    given, under one lock of the deposit: its entries in one INSERT, the account written
    once, the disbursements in one INSERT. A deadline storm's payouts from one busy store
    share the lock and the commit instead of queueing for them one by one.

    Each request keeps its own idempotency key: a replayed one returns what it wrote before
    and writes nothing. Any invalid request refuses the whole batch.
    """
    return _pay_out_all(account, requests)


def _pay_out_all(account: DepositAccount, requests: list[PayoutRequest]) -> list[PayoutResult]:
    checked = [_checked(request, account) for request in requests]
    keys = [item.key for item in checked]
    if len(set(keys)) != len(keys):
        raise ValidationError(_("Each payout of a batch needs its own key."), code="key_twice")
    # What the store must keep only decides whether a top-up notice follows. It is read
    # before the lock, and not at all when even the policy's highest tier could not leave
    # the store short after these payouts (judged again under the lock, on the true amounts).
    policy = policy_in_force()
    most_required = most_required_under(policy)
    paying = sum((item.amount + item.capped_amount for item in checked), ZERO)
    merchant = None
    if _may_fall_short(account, most_required, paying=paying):
        merchant = _store_with_categories(account)
    webhook_events.read_ahead(account.merchant_id)
    account = _lock(account, store=False)
    earlier, held = _earlier_payouts_and_held(account, checked)
    results: list[PayoutResult | None] = []
    operations, disbursements = [], []
    for item in checked:
        if item.key in earlier:
            results.append(None)
            continue
        paid = _post_payout(account, item, held)
        results.append(paid)
        if paid.disbursement is not None:
            operations.append(paid)
            disbursements.append(paid.disbursement)
    save_entries(account, [entry for paid in operations for entry in paid.entries], disbursements)
    for disbursement in disbursements:
        # bulk_create sends no signal: whoever listens for new payouts (the webhooks)
        # hears of each as if it had been saved alone.
        post_save.send(
            sender=Disbursement,
            instance=disbursement,
            created=True,
            update_fields=None,
            raw=False,
            using=disbursement._state.db,
        )
    results = _with_replays(results, checked, earlier)
    if operations and shortfall(account, most_required) > 0:
        # Only when the caller's copy of the account was too old to foresee it is the
        # store read under the lock.
        account.merchant = merchant or _store_with_categories(account)
        _after_money_out(account, required=required_under(policy, account.merchant))
    return results


def _checked(request: PayoutRequest, account: DepositAccount) -> _Checked:
    amount = _money(request.amount, label=_("The amount"), zero=True)
    capped_amount = _money(request.capped_amount, label=_("The capped amount"), zero=True)
    if not amount + capped_amount:
        raise ValidationError(_("A payout pays something."), code="zero")
    reference = _required_text(request.reference, label=_("The reference"))
    if request.destination is None and request.account_due_at is None:
        raise ValidationError(
            _("A payout without an account needs the moment it falls back to the login."),
            code="account_due_at",
        )
    return _Checked(
        request=request,
        reference=reference,
        amount=amount,
        capped_amount=capped_amount,
        key=_key(request.idempotency_key),
    )


def _payout_digest(account: DepositAccount, item: _Checked) -> str:
    # The destination is left out: it is not what the ledger moves, and the consumer may
    # change it until the payout is sent, so a replay must still find its entries.
    return _digest(
        "pay_out",
        account,
        reference=item.reference,
        amount=item.amount,
        capped_amount=item.capped_amount,
        payee=item.request.payee.pk,
    )


# What one payout reads under the deposit's lock, its busiest path: compiled once.
_EARLIER_OR_OF_REFERENCE = PreparedRead(
    lambda key, account_id, reference: LedgerEntry.objects.filter(
        Q(operation_key=key) | Q(account_id=account_id, reference=reference)
    ).order_by("id"),
    keys=(str, int, str),
)


def _earlier_payouts_and_held(
    account: DepositAccount, checked: list[_Checked]
) -> tuple[dict[str, list[LedgerEntry]], dict[str, Decimal]]:
    """What earlier calls with these keys wrote, by key, and what each reference still
    holds on the account, in one read under the deposit's lock."""
    references = {item.reference for item in checked}
    if len(checked) == 1:
        [item] = checked
        entries = _EARLIER_OR_OF_REFERENCE.all(item.key, account.pk, item.reference)
    else:
        entries = LedgerEntry.objects.filter(
            Q(operation_key__in=[item.key for item in checked])
            | Q(account=account, reference__in=references)
        ).order_by("id")
    earlier: dict[str, list[LedgerEntry]] = {}
    held = dict.fromkeys(references, ZERO)
    wanted = {item.key for item in checked}
    for entry in entries:
        if entry.operation_key in wanted:
            earlier.setdefault(entry.operation_key, []).append(entry)
        if entry.account_id == account.pk and entry.reference in references:
            held[entry.reference] += entry.held_delta
    for item in checked:
        if item.key in earlier:
            _same_request(earlier[item.key][0], _payout_digest(account, item))
    return earlier, held


def _post_payout(account: DepositAccount, item: _Checked, held: dict[str, Decimal]):
    """Post one payout's entries on the locked account (not saved yet) and build its
    disbursement; `held` (by reference) follows what the batch has used so far."""
    amount, capped_amount, request = item.amount, item.capped_amount, item.request
    held_for_claim = held[item.reference]
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
        account,
        key=item.key,
        digest=_payout_digest(account, item),
        reference=item.reference,
        actor=request.actor,
        memo=request.memo,
    )
    payout_entry = operation.post(Kind.CLAIM_PAYOUT, balance=-paid_from_deposit, held=-held_used)
    if advanced:
        operation.post(Kind.PLATFORM_ADVANCE, arrears=advanced)
    if held_for_claim - held_used:
        operation.post(Kind.RELEASE, held=-(held_for_claim - held_used))
    held[item.reference] = ZERO
    disbursement = Disbursement(
        payee=request.payee,
        payee_kind=Disbursement.PayeeKind.CONSUMER,
        amount=amount + capped_paid,
        reference=item.reference,
        ledger_entry=payout_entry,
    )
    if request.destination is None:
        disbursement.status = Disbursement.Status.AWAITING_ACCOUNT
        disbursement.account_due_at = request.account_due_at
    else:
        disbursement.set_destination(request.destination)
    return PayoutResult(
        entries=operation.entries,
        amount_paid=amount + capped_paid,
        capped_paid=capped_paid,
        advanced=advanced,
        disbursement=disbursement,
    )


def _with_replays(results, checked: list[_Checked], earlier) -> list[PayoutResult]:
    """The results with each replayed request's first answer filled in."""
    if not earlier:
        return results
    disbursements = {
        d.ledger_entry_id: d
        for d in Disbursement.objects.filter(
            ledger_entry__in=[entries[0] for entries in earlier.values()]
        )
    }
    filled = []
    for result, item in zip(results, checked, strict=True):
        if result is None:
            entries = earlier[item.key]
            disbursement = disbursements[entries[0].pk]
            advanced = sum(
                (e.arrears_delta for e in entries if e.kind == Kind.PLATFORM_ADVANCE), ZERO
            )
            result = PayoutResult(
                entries=entries,
                amount_paid=disbursement.amount,
                capped_paid=disbursement.amount - item.amount,
                advanced=advanced,
                disbursement=disbursement,
            )
        filled.append(result)
    return filled


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
