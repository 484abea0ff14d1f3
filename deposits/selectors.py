"""Reads of deposits shared by services, views, the admin and the statement."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from common.prepared import PreparedRead
from merchants.models import Merchant

from .models import ZERO, DepositAccount, Disbursement, LedgerEntry, PayoutAccount
from .policy import required_deposit

RECENT_ENTRIES = 10
# A store that asks to leave has its deposit back 30 days later, once nothing blocks it.
EXIT_WAITING_PERIOD = timedelta(days=30)
# A payee whose payout waits for an account is reminded once a day.
ACCOUNT_REMINDER_INTERVAL = timedelta(days=1)


def held_for(*, account: DepositAccount, reference: str) -> Decimal:
    """What is still held on the account for one reference (e.g. one complaint).

    Summed in Python: a reference has a handful of entries, and SQLite would add the
    decimals as floats.
    """
    deltas = LedgerEntry.objects.filter(account=account, reference=reference).values_list(
        "held_delta", flat=True
    )
    return sum(deltas, ZERO)


# Compiled once, and unordered: the accounts' default order joins their stores.
_ACCOUNT_OF_STORE = PreparedRead(
    lambda merchant_id: DepositAccount.objects.filter(merchant_id=merchant_id)
)


def account_of(merchant: Merchant) -> DepositAccount:
    """The store's account, or an unsaved empty one for a store that never paid in."""
    account = _ACCOUNT_OF_STORE.get(merchant.pk) or DepositAccount()
    account.merchant = merchant
    return account


def shortfall(account: DepositAccount, required: Decimal) -> Decimal:
    """What the store must pay so that, arrears settled, the balance covers the requirement."""
    return max(required - account.balance + account.arrears, ZERO)


@dataclass(frozen=True)
class DepositOverview:
    account: DepositAccount
    required: Decimal

    @property
    def balance(self) -> Decimal:
        return self.account.balance

    @property
    def held(self) -> Decimal:
        return self.account.held

    @property
    def available(self) -> Decimal:
        return self.account.available

    @property
    def arrears(self) -> Decimal:
        return self.account.arrears

    @property
    def shortfall(self) -> Decimal:
        return shortfall(self.account, self.required)

    @property
    def top_up_amount_due(self) -> Decimal:
        return self.account.top_up_amount_due

    @property
    def top_up_due_by(self) -> datetime | None:
        return self.account.top_up_due_by

    @property
    def top_up_overdue(self) -> bool:
        return self.top_up_due_by is not None and self.top_up_due_by <= timezone.now()

    @property
    def is_restricted(self) -> bool:
        return self.account.merchant.status == Merchant.Status.RESTRICTED

    @property
    def cover_percent(self) -> int:
        """Available against required, 0–100, for the dashboard's bar."""
        if self.required <= 0:
            return 100
        return int(min(self.available / self.required, 1) * 100)


def account_overview(merchant: Merchant) -> DepositOverview:
    return DepositOverview(account=account_of(merchant), required=required_deposit(merchant))


def statement_rows(account: DepositAccount) -> QuerySet[LedgerEntry]:
    """Every entry of the account, oldest first, as the statement lists them."""
    return LedgerEntry.objects.filter(account=account).order_by("created_at", "id")


def recent_entries(account: DepositAccount, limit: int = RECENT_ENTRIES) -> list[LedgerEntry]:
    if account.pk is None:
        return []
    return list(LedgerEntry.objects.filter(account=account).order_by("-created_at", "-id")[:limit])


def payout_accounts_of(owner) -> QuerySet[PayoutAccount]:
    """The accounts a person saved to be paid to, newest first."""
    return PayoutAccount.objects.filter(owner=owner)


# --- finance's work queues (the console's landing page) -----------------------------------


def payouts_to_send() -> QuerySet[Disbursement]:
    return Disbursement.objects.filter(status=Disbursement.Status.PENDING)


def failed_payouts() -> QuerySet[Disbursement]:
    return Disbursement.objects.filter(status=Disbursement.Status.FAILED)


def payouts_awaiting_account() -> QuerySet[Disbursement]:
    """Waiting for the consumer to choose where the money goes: nothing for finance to
    send yet, each with the moment it goes to the login's Alipay instead."""
    return Disbursement.objects.filter(status=Disbursement.Status.AWAITING_ACCOUNT)


def payouts_past_account_wait(now: datetime) -> QuerySet[Disbursement]:
    return payouts_awaiting_account().filter(account_due_at__lte=now)


def payouts_to_remind(now: datetime) -> QuerySet[Disbursement]:
    """Awaiting an account, not yet falling back, and not reminded for a day."""
    day_ago = now - ACCOUNT_REMINDER_INTERVAL
    return payouts_awaiting_account().filter(
        Q(account_reminded_at__lte=day_ago)
        | Q(account_reminded_at__isnull=True, created_at__lte=day_ago),
        account_due_at__gt=now,
    )


OPEN_TOP_UP_NOTICE = Q(top_up_due_by__isnull=False)


def exit_refund_due(now: datetime) -> Q:
    """Stores that asked to leave 30 days ago and still have a deposit: finance checks what
    else may block the refund (`deposits.services.exit_blockers`) on the account's page."""
    return Q(
        merchant__status=Merchant.Status.CLOSING,
        closing_requested_at__lte=now - EXIT_WAITING_PERIOD,
        balance__gt=ZERO,
    )


def how_to_pay(merchant: Merchant) -> str:
    """How a store pays in its deposit: the transfer, and the remark that lets finance
    match it to the store."""
    if settings.DEPOSIT_PAYEE_ACCOUNT:
        where = gettext("by bank transfer to %(name)s, %(bank)s, account %(account)s") % {
            "name": settings.DEPOSIT_PAYEE_NAME,
            "bank": settings.DEPOSIT_PAYEE_BANK,
            "account": settings.DEPOSIT_PAYEE_ACCOUNT,
        }
    else:
        where = gettext("by bank transfer to the deposit account named in your store agreement")
    return gettext(
        "Pay %(where)s, with your store code %(code)s as the transfer's remark: finance "
        "matches it to your store and records it, usually within one working day."
    ) % {"where": where, "code": merchant.code}
