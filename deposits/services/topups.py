"""Top-up notices and the restriction of a store that did not top up."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from common.db import atomic_service
from merchants.models import Merchant, StoreFactChange
from webhooks import events as webhook_events
from webhooks.models import EventType

from ..models import DepositAccount
from ..policy import required_deposit
from ..selectors import (
    shortfall,
)
from ._ledger import (
    _close_top_up_notice,
    _lock,
    _money_text,
    _open_top_up_notice,
    _tell_store,
)
from .payins import (
    get_or_open_account,
)

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
        event=EventType.DEPOSIT_RESTRICTED,
        amount_due=webhook_events.money(account.top_up_amount_due),
    )
    return True
