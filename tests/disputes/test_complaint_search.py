"""Both parties search their complaint lists: by number, order or item, kind, the days
filed and status; never beyond their own complaints."""

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Complaint
from tests.factories import ComplaintFactory, ConsumerFactory, MerchantFactory, OrderFactory

pytestmark = pytest.mark.django_db

SELLER_LIST = reverse("disputes:seller_complaints")
CONSUMER_LIST = reverse("disputes:consumer_complaints")


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def listed(client, url, **query) -> set[str]:
    page = client.get(url, query)
    assert page.status_code == 200
    return set(re.findall(r"TS\d{14}", page.content.decode()))


def filed(merchant, consumer, *, item, kind="after_sales", on=None, order_number=None):
    order = OrderFactory(
        merchant=merchant,
        consumer=consumer,
        item_title=item,
        **({"order_number": order_number} if order_number else {}),
    )
    complaint = ComplaintFactory(order=order, kind=kind)
    if on:
        Complaint.objects.filter(pk=complaint.pk).update(
            created_at=timezone.make_aware(datetime.fromisoformat(on))
        )
    return complaint


@pytest.fixture
def store_lists(store, other_store):
    buyer = ConsumerFactory()
    return {
        "headphones": filed(store.merchant, buyer, item="无线降噪耳机", on="2026-11-02 10:00"),
        "kettle": filed(
            store.merchant,
            buyer,
            item="电热水壶",
            kind="counterfeit",
            on="2026-11-20 23:30",
            order_number="ORD-KETTLE-77",
        ),
        "elsewhere": filed(other_store.merchant, buyer, item="无线降噪耳机"),
    }


def test_a_store_finds_its_complaints_by_number_order_and_item(client, store, store_lists):
    client.force_login(store.owner)
    headphones, kettle = store_lists["headphones"], store_lists["kettle"]

    assert listed(client, SELLER_LIST, q=kettle.number[:10].lower()) >= {kettle.number}
    assert listed(client, SELLER_LIST, q=kettle.number) == {kettle.number}
    assert listed(client, SELLER_LIST, q="ORD-KETTLE") == {kettle.number}
    assert listed(client, SELLER_LIST, q="降噪") == {headphones.number}  # never the other store's


def test_a_store_filters_by_kind_days_filed_and_status(client, store, store_lists):
    client.force_login(store.owner)
    headphones, kettle = store_lists["headphones"], store_lists["kettle"]
    assert listed(client, SELLER_LIST, kind="counterfeit") == {kettle.number}
    assert listed(client, SELLER_LIST, filed_from="2026-11-20", filed_to="2026-11-20") == {
        kettle.number
    }
    assert listed(client, SELLER_LIST, filed_to="2026-11-19") == {headphones.number}
    assert listed(client, SELLER_LIST, q="降噪", status="closed") == set()
    assert listed(client, SELLER_LIST, status="no-such-status") == {
        headphones.number,
        kettle.number,
    }


def test_a_malformed_date_is_ignored_and_the_rest_still_applies(client, store, store_lists):
    client.force_login(store.owner)
    kettle = store_lists["kettle"]
    assert listed(client, SELLER_LIST, q="ORD-KETTLE", filed_from="2026-13-45") == {kettle.number}


def test_a_consumer_searches_their_own_complaints_and_is_told_when_nothing_matches(client):
    consumer, stranger = ConsumerFactory(), ConsumerFactory()
    shop = MerchantFactory()
    mine = filed(shop, consumer, item="儿童保温杯")
    filed(shop, stranger, item="儿童保温杯")
    client.force_login(consumer)

    assert listed(client, CONSUMER_LIST, q="保温杯") == {mine.number}
    nothing = client.get(CONSUMER_LIST, {"q": "电视机"}).content.decode()
    assert "No complaint matches." in nothing and 'href="?"' in nothing
