"""The store overview's reads: its 12-month counts, its deposit and its latest orders,
each what the page shows and each compiled once per process."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deposits import selectors as deposit_selectors
from deposits.models import DepositAccount
from disputes import party_lists, selectors
from disputes.models import Complaint
from merchants import selectors as merchant_selectors
from merchants.models import Order
from tests.compiling import compiled_reads, reading
from tests.factories import ComplaintFactory, MerchantFactory, OrderFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


def _filed(store, *, days_ago, status=S.NEGOTIATING, escalated=False):
    filed_at = timezone.now() - timedelta(days=days_ago)
    complaint = ComplaintFactory(merchant=store.merchant, status=status)
    Complaint.objects.filter(pk=complaint.pk).update(
        created_at=filed_at, escalated_at=filed_at + timedelta(days=1) if escalated else None
    )
    return filed_at


def test_the_counts_are_of_the_stores_last_12_months_by_kind(store, other_store):
    oldest = _filed(store, days_ago=300, status=S.SETTLED)
    _filed(store, days_ago=200, status=S.UNDER_REVIEW, escalated=True)
    _filed(store, days_ago=100, status=S.PAID, escalated=True)
    _filed(store, days_ago=10, status=S.AWAITING_MERCHANT_PAYMENT)
    _filed(store, days_ago=5, status=S.WITHDRAWN)
    _filed(store, days_ago=400, status=S.NEGOTIATING)
    _filed(other_store, days_ago=1, status=S.SETTLED)

    stats = party_lists.merchant_complaint_stats(store.merchant, timezone.now())

    assert (stats.filed, stats.settled, stats.escalated, stats.open) == (5, 1, 2, 2)
    assert stats.changes_at == oldest + selectors.STRIKE_WINDOW


def test_a_store_without_complaints_this_year_counts_none(store):
    _filed(store, days_ago=366)
    stats = party_lists.merchant_complaint_stats(store.merchant, timezone.now())
    assert stats == party_lists.ComplaintStats(0, 0, 0, 0, changes_at=None)


def test_the_deposit_is_the_stores_own_or_an_empty_one(store, other_store):
    assert deposit_selectors.account_of(store.merchant).pk == (
        DepositAccount.objects.get(merchant=store.merchant).pk
    )
    newcomer = MerchantFactory()
    account = deposit_selectors.account_of(newcomer)
    assert account.pk is None
    assert account.merchant == newcomer


def test_the_latest_orders_are_the_first_of_the_store_s_order_list(store, other_store):
    now = timezone.now()
    for days in (3, 1, 2, 5, 4, 1):
        OrderFactory(merchant=store.merchant, paid_at=now - timedelta(days=days))
    OrderFactory(merchant=other_store.merchant, paid_at=now)

    latest = merchant_selectors.latest_orders_of_merchant(store.merchant, 4)

    assert latest == list(Order.objects.filter(merchant=store.merchant)[:4])
    assert all(Order.consumer.is_cached(order) for order in latest)


def test_a_warm_overview_compiles_none_of_its_store_reads(client, store, other_store):
    _filed(store, days_ago=3)
    OrderFactory(merchant=store.merchant)
    client.force_login(other_store.owner)
    client.get(reverse("disputes:seller_overview"))
    client.force_login(store.owner)

    with compiled_reads() as compiled:
        page = client.get(reverse("disputes:seller_overview"))

    assert page.context["stats"].filed == 1
    assert len(page.context["recent_orders"]) == 1
    assert page.context["deposit"].account.merchant == store.merchant
    tables = ("disputes_complaint", "merchants_order", "deposits_depositaccount")
    assert reading(compiled, *tables) == []
