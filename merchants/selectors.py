"""Reads of stores and orders, always scoped to the person asking."""

from django.db.models import QuerySet
from django.http import Http404

from .models import MerchantMember, Order


def membership_of(user) -> MerchantMember:
    """The store membership of a merchant login, or 404 for anyone else."""
    try:
        return MerchantMember.objects.select_related("merchant").get(user=user)
    except MerchantMember.DoesNotExist:
        raise Http404 from None


def orders_of_consumer(user) -> QuerySet[Order]:
    return Order.objects.filter(consumer=user).select_related("merchant")


def orders_of_merchant(merchant) -> QuerySet[Order]:
    return Order.objects.filter(merchant=merchant).select_related("consumer")


def members_of_merchant(merchant) -> QuerySet[MerchantMember]:
    return merchant.members.select_related("user").order_by("role", "added_at")
