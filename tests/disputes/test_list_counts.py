"""A party's list that fits on one page is read without counting it; a longer one still
shows its page count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.views._shared import PAGE_SIZE
from merchants.models import Order

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


def test_a_list_longer_than_a_page_shows_its_page_count(client, file, consumer, order, settings):
    settings.PAGE_CACHE = False
    for index in range(PAGE_SIZE + 1):
        another = Order.objects.get(pk=order.pk)
        another.pk, another.order_number = None, f"{order.order_number}-{index}"
        another.save()
        file(order=another)
    client.force_login(consumer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("disputes:consumer_complaints"), {"page": ""})
    assert len(complaint_counts(queries)) == 1
    assert "?page=2" in response.content.decode()
