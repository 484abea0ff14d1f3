"""What deposit a store must keep, from the policy in force at a moment."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from common import effective
from merchants.models import Category, Merchant

from .models import ZERO, DepositPolicy, DepositTier


def policy_in_force(at: datetime | None = None) -> DepositPolicy | None:
    return effective.in_force(DepositPolicy, at or timezone.now(), prefetch=("tiers",))


def next_policy_change(after: datetime) -> datetime | None:
    """When what a store must keep may next change by the calendar alone."""
    return effective.next_change(DepositPolicy, after)


def required_under(policy: DepositPolicy | None, merchant: Merchant) -> Decimal:
    """The highest tier that applies to the store under one policy (0 without a policy).

    Each category group the store sells in needs its own tiers if the policy has any for
    that group, the general tiers otherwise; a store without categories is general.
    """
    if policy is None:
        return ZERO
    tiers: list[DepositTier] = list(policy.tiers.all())
    groups = {category.deposit_group for category in merchant.categories.all()} or {
        Category.DepositGroup.GENERAL
    }
    candidates = [tier for tier in tiers if tier.mall_flagship_only and tier.matches(merchant)]
    for group in groups:
        group_tiers = [t for t in tiers if t.category_group == group and not t.mall_flagship_only]
        if not group_tiers:
            group_tiers = [
                t
                for t in tiers
                if t.category_group == Category.DepositGroup.GENERAL and not t.mall_flagship_only
            ]
        candidates.extend(tier for tier in group_tiers if tier.matches(merchant))
    return max((tier.amount_for(merchant) for tier in candidates), default=ZERO)


def most_required_under(policy: DepositPolicy | None) -> Decimal:
    """The most any store can have to keep under one policy, whatever its facts: what
    `required_under` returns for no store is higher."""
    if policy is None:
        return ZERO
    return max(
        (max(tier.amount, tier.amount_above_threshold or ZERO) for tier in policy.tiers.all()),
        default=ZERO,
    )


def required_deposit(merchant: Merchant, at: datetime | None = None) -> Decimal:
    return required_under(policy_in_force(at), merchant)
