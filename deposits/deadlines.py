"""Deposit deadlines that act by themselves: lapsed top-ups and policies taking effect."""

import logging
from datetime import datetime

from django.db import DatabaseError, connection, transaction

from common.db import is_lock_conflict
from merchants.models import Merchant

from . import services
from .models import DepositAccount, DepositPolicy
from .policy import required_under

logger = logging.getLogger(__name__)


def _locked(queryset):
    """Lock the rows, skipping those another worker holds, where the database can."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return queryset.select_for_update(no_key=True, of=("self",))


def _apply_policies(now: datetime) -> int:
    """Recompute requirements under the newest policy that took effect; notify short stores.

    Older policies that took effect unapplied are superseded and marked applied with it.
    A crash midway is safe: each store's notice is keyed by the policy.
    """
    notices = 0
    with transaction.atomic():
        due = list(
            _locked(
                DepositPolicy.objects.filter(effective_from__lte=now, applied_at__isnull=True)
            ).order_by("-effective_from")
        )
        if not due:
            return 0
        newest = DepositPolicy.objects.prefetch_related("tiers").get(pk=due[0].pk)
        previous = (
            DepositPolicy.objects.filter(effective_from__lt=newest.effective_from)
            .exclude(pk__in=[policy.pk for policy in due])
            .prefetch_related("tiers")
            .order_by("-effective_from")
            .first()
        )
        merchants = Merchant.objects.filter(
            status__in=[Merchant.Status.ACTIVE, Merchant.Status.RESTRICTED]
        ).prefetch_related("categories")
        for merchant in merchants.iterator(chunk_size=500):
            if required_under(newest, merchant) == required_under(previous, merchant):
                continue
            account = services.get_or_open_account(merchant=merchant)
            if services.request_top_up(
                account=account, now=now, idempotency_key=f"policy-{newest.pk}"
            ):
                notices += 1
        DepositPolicy.objects.filter(pk__in=[policy.pk for policy in due]).update(applied_at=now)
    return notices


def _restrict_lapsed(now: datetime) -> int:
    restricted = 0
    lapsed = list(
        DepositAccount.objects.filter(
            top_up_due_by__lte=now,
            restricted_for_top_up_at__isnull=True,
            merchant__status=Merchant.Status.ACTIVE,
        ).values_list("pk", "merchant_id")
    )
    for account_id, merchant_id in lapsed:
        try:
            with transaction.atomic():
                # The store's row before its account's, the order of common.db: a pay-in
                # locking the same two rows waits here instead of closing a cycle.
                if _locked(Merchant.objects.filter(pk=merchant_id)).first() is None:
                    continue
                account = DepositAccount.objects.get(pk=account_id)
                if services.restrict_lapsed_top_up(account=account, now=now):
                    restricted += 1
        except DatabaseError as error:
            if not is_lock_conflict(error):
                raise
            # The next run takes it up again; one store never stops the others.
            logger.warning("deadlines: deposit account %s skipped: %s", account_id, error)
    return restricted


def process_due_top_ups(now: datetime) -> int:
    """Apply policies that took effect and restrict stores past their top-up deadline.

    Returns how many stores were acted on (notices sent plus restrictions). Idempotent.
    """
    return _apply_policies(now) + _restrict_lapsed(now)
