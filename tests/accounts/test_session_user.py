"""The session's user is read once per request, with their store membership."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ConsumerFactory, MerchantMemberFactory

pytestmark = pytest.mark.django_db

FROM_TABLE = re.compile(r'\bFROM "(\w+)"')


def _tables_read(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [
        match.group(1)
        for query in queries.captured_queries
        if (match := FROM_TABLE.search(query["sql"]))
    ]


def test_a_sellers_page_reads_the_membership_with_the_user(client):
    member = MerchantMemberFactory()
    client.force_login(member.user)
    client.get(reverse("disputes:seller_complaints"))

    tables = _tables_read(client, reverse("disputes:seller_complaints"))

    assert tables.count("accounts_user") == 1
    assert "merchants_merchantmember" not in tables


def test_a_consumer_without_a_store_gets_no_seller_page_and_no_extra_read(client):
    consumer = ConsumerFactory()
    client.force_login(consumer)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("disputes:seller_complaints"))

    assert response.status_code == 404
    assert not any(
        'FROM "merchants_merchantmember"' in query["sql"] for query in queries.captured_queries
    )


def test_a_deactivated_login_is_signed_out_at_its_next_request(client):
    consumer = ConsumerFactory()
    client.force_login(consumer)
    assert client.get(reverse("disputes:consumer_complaints")).status_code == 200

    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    response = client.get(reverse("disputes:consumer_complaints"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
