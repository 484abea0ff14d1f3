"""Every page costs a fixed number of queries, whatever the amount of data behind it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ComplaintFactory, ConsumerFactory, MerchantMemberFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _same_cost(small: int, large: int) -> None:
    """As many queries for 25 rows as for 1, but for the COUNT a list needs once it runs past
    its first page (common.paginators.ShortListPaginator reads a shorter one uncounted)."""
    assert large - small in (0, 1), (small, large)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _warm(client, url_name):
    """Read the policies and rules once, as a running server has (common.effective)."""
    client.get(reverse(url_name))


def _grow(rows: int, *, merchant=None, consumer=None):
    for _ in range(rows):
        order = OrderFactory(
            **{k: v for k, v in {"merchant": merchant, "consumer": consumer}.items() if v}
        )
        ComplaintFactory(order=order)


SELLER_PAGES = {
    "disputes:seller_overview": 13,
    "disputes:seller_complaints": 9,
    "merchants:orders": 8,
    "merchants:staff": 7,
    "deposits:seller_deposit": 12,
}


@pytest.mark.parametrize(("url_name", "budget"), SELLER_PAGES.items())
def test_seller_pages_cost_the_same_queries_for_1_or_25_rows(
    client, url_name, budget, django_assert_max_num_queries
):
    # The owner: every part of every page is theirs to see.
    member = MerchantMemberFactory(role="owner")
    client.force_login(member.user)
    _warm(client, url_name)
    _grow(1, merchant=member.merchant)
    small = _queries(client, reverse(url_name))
    _grow(24, merchant=member.merchant)
    with django_assert_max_num_queries(budget):
        large = _queries(client, reverse(url_name))
    _same_cost(small, large)


CONSUMER_PAGES = {
    "disputes:consumer_orders": 7,
    "disputes:consumer_complaints": 6,
    "disputes:notifications": 6,
}


@pytest.mark.parametrize(("url_name", "budget"), CONSUMER_PAGES.items())
def test_consumer_pages_cost_the_same_queries_for_1_or_25_rows(
    client, url_name, budget, django_assert_max_num_queries
):
    consumer = ConsumerFactory()
    client.force_login(consumer)
    _warm(client, url_name)
    _grow(1, consumer=consumer)
    small = _queries(client, reverse(url_name))
    _grow(24, consumer=consumer)
    with django_assert_max_num_queries(budget):
        large = _queries(client, reverse(url_name))
    _same_cost(small, large)
