"""The session's user is read once per request, with their roles and store membership."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.backends import IdentifierBackend
from tests.factories import ConsumerFactory, MerchantMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

FROM_TABLE = re.compile(r'\bFROM "(\w+)"')
PARENTHESISED = re.compile(r"\([^()]*\)")


def _main_table(sql: str) -> str | None:
    """The table a statement reads from, not those of its subqueries."""
    while (outer := PARENTHESISED.sub("", sql)) != sql:
        sql = outer
    match = FROM_TABLE.search(sql)
    return match.group(1) if match else None


def _tables_read(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [table for query in queries.captured_queries if (table := _main_table(query["sql"]))]


def test_a_sellers_page_reads_the_roles_and_membership_with_the_user(client):
    member = MerchantMemberFactory()
    client.force_login(member.user)
    client.get(reverse("disputes:seller_complaints"))

    tables = _tables_read(client, reverse("disputes:seller_complaints"))

    assert tables.count("accounts_user") == 1
    assert "merchants_merchantmember" not in tables
    assert "auth_group" not in tables


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


@pytest.mark.parametrize(
    "names",
    [set(), {roles.CONSUMERS}, {roles.MERCHANT_STAFF}, {roles.REVIEWERS, roles.FINANCE}],
    ids=["none", "consumer", "merchant staff", "two console roles"],
)
def test_the_session_users_roles_are_those_the_user_holds_now(names, django_assert_num_queries):
    user = UserFactory()
    Group.objects.create(name="Newsletter")
    user.groups.set(Group.objects.filter(name__in=[*names, "Newsletter"]))
    read_alone = roles.user_roles(get_user_model().objects.get(pk=user.pk))

    with django_assert_num_queries(1):
        session_user = IdentifierBackend().get_user(user.pk)
        held = roles.user_roles(session_user)

    assert held == read_alone == names


def test_a_role_granted_or_withdrawn_shows_at_the_next_request(client):
    consumer = ConsumerFactory()
    client.force_login(consumer)
    assert client.get(reverse("disputes:consumer_complaints")).status_code == 200

    consumer.groups.set([Group.objects.get(name=roles.MERCHANT_STAFF)])

    assert roles.user_roles(client.get(reverse("home")).wsgi_request.user) == {roles.MERCHANT_STAFF}
