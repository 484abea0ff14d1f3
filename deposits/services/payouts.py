"""Paying out of the deposit: payouts to consumers, the platform's reimbursements."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service
from common.recorded_text import recorded

from ..destinations import Destination
from ..models import ZERO, DepositAccount, Disbursement
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
    _earlier_entries_and_held,
    _key,
    _lock,
    _may_fall_short,
    _merchant_disbursement,
    _money,
    _money_text,
    _Operation,
    _required_text,
    _store_owner,
    _store_with_categories,
)

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
