"""A party's list that fits on one page is read without counting it; a longer one still
shows its page count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import paginators
from disputes.views._shared import PAGE_SIZE
from merchants.models import Order
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def complaint_counts(queries) -> list[str]:
    return [sql for sql in counts(queries) if '"disputes_complaint"' in sql]


def test_the_consumers_short_list_is_not_counted(client, complaint, consumer, settings):
    settings.PAGE_CACHE = False
    client.force_login(consumer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("disputes:consumer_complaints"))
    assert complaint.number in response.content.decode()
    assert complaint_counts(queries) == []


def test_the_stores_short_list_is_not_counted(client, complaint, store, settings):
    settings.PAGE_CACHE = False
    client.force_login(store.owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("disputes:seller_complaints"))
    assert complaint.number in response.content.decode()
    assert complaint_counts(queries) == []


def _complaints_on_more_than_a_page(file, order) -> None:
    for index in range(PAGE_SIZE + 1):
        another = Order.objects.get(pk=order.pk)
        another.pk, another.order_number = None, f"{order.order_number}-{index}"
        another.save()
        file(order=another)


def test_a_list_longer_than_a_page_shows_its_page_count(client, file, consumer, order, settings):
    settings.PAGE_CACHE = False
    _complaints_on_more_than_a_page(file, order)
    client.force_login(consumer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("disputes:consumer_complaints"), {"page": ""}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert len(complaint_counts(queries)) == 1
    assert "?page=2" in response.content.decode()
    assert "Page 1 of 2<" in response.content.decode()


@pytest.mark.parametrize(
    "language, label", [("en", "Page 1 of at least 2"), ("zh-hans", "第 1 页，至少 2 页")]
)
def test_a_list_longer_than_is_counted_says_how_many_pages_it_has_at_least(
    client, file, consumer, order, settings, monkeypatch, language, label
):
    settings.PAGE_CACHE = False
    monkeypatch.setattr(paginators, "PAGES_COUNTED_AHEAD", 0)
    _complaints_on_more_than_a_page(file, order)
    client.force_login(consumer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("disputes:consumer_complaints"), HTTP_ACCEPT_LANGUAGE=language
        )
    [count] = complaint_counts(queries)
    assert "LIMIT" in count.upper()
    assert label in response.content.decode()
    assert "?page=2" in response.content.decode()


def test_a_stores_list_is_counted_no_further_than_its_bound(client, store, settings):
    settings.PAGE_CACHE = False
    for _ in range(PAGE_SIZE + 1):
        ComplaintFactory(merchant=store.merchant, order__merchant=store.merchant)
    client.force_login(store.owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("disputes:seller_complaints"), HTTP_ACCEPT_LANGUAGE="en")
    [count] = complaint_counts(queries)
    assert "LIMIT" in count.upper()
    assert "Page 1 of 2<" in response.content.decode()
