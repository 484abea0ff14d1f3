"""Reads of stores and orders, always scoped to the person asking."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from common.prepared import PreparedRead

from .models import MerchantMember, Order, StaffInvitation


def membership_of(user) -> MerchantMember:
    """The store membership of a merchant login, or 404 for anyone else.

    Read with the user where the session's user was loaded (accounts.backends), in this
    request either way."""
    if get_user_model().merchant_membership.is_cached(user):
        membership = getattr(user, "merchant_membership", None)
        if membership is None:
            raise Http404
        return membership
    try:
        return MerchantMember.objects.select_related("merchant").get(user=user)
    except MerchantMember.DoesNotExist:
        raise Http404 from None


def orders_of_consumer(user) -> QuerySet[Order]:
    return Order.objects.filter(consumer=user).select_related("merchant")


def orders_of_merchant(merchant) -> QuerySet[Order]:
    return Order.objects.filter(merchant=merchant).select_related("consumer")


@cache
def _latest_orders(count: int) -> PreparedRead:
    """The store overview's latest orders, compiled once per process for each count."""
    return PreparedRead(lambda merchant_id: orders_of_merchant(merchant_id)[:count])


def latest_orders_of_merchant(merchant, count: int) -> list[Order]:
    """The store's `count` latest orders, as `orders_of_merchant` lists them."""
    return _latest_orders(count).all(merchant.pk)


def members_of_merchant(merchant) -> QuerySet[MerchantMember]:
    return merchant.members.select_related("user").order_by("role", "added_at", "id")


def staff_member_of(merchant, member_id: int) -> MerchantMember:
    """One member of the owner's store, or 404: never another store's."""
    try:
        return merchant.members.select_related("user").get(pk=member_id)
    except MerchantMember.DoesNotExist:
        raise Http404 from None


def open_invitations_of(merchant) -> QuerySet[StaffInvitation]:
    """Invitations neither accepted nor withdrawn, the expired ones included (the owner
    sees they lapsed and may invite again), newest first."""
    return merchant.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def invitation_of(merchant, invitation_id: int) -> StaffInvitation:
    try:
        return merchant.invitations.get(pk=invitation_id)
    except StaffInvitation.DoesNotExist:
        raise Http404 from None


def invitation_for_link(token: str) -> StaffInvitation | None:
    """The invitation a link's token belongs to, whatever its state; None for a made-up one."""
    return (
        StaffInvitation.objects.select_related("merchant", "invited_by")
        .filter(token_digest=StaffInvitation.digest(token))
        .first()
    )
