"""A staff member's cached pages follow their grants: a change, or the removal, shows on
their very next page. These commit for real, as the cache is emptied on commit."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants import services as staff_services
from tests.factories import MerchantMemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def page_cache_on(settings, reference_data):
    settings.PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(store):
    return MerchantMemberFactory(merchant=store.merchant, user__display_name="吴倩")


def _page(client, url) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def _cached(client, url) -> str:
    """The page, rendered and then served from the cache (no complaint or deposit read)."""
    _page(client, url)
    html, queries = _page(client, url)
    assert [sql for sql in queries if "disputes_" in sql or "deposits_" in sql] == []
    return html


def test_a_new_grant_shows_on_the_members_next_page(client, complaint, store, member):
    url = reverse("disputes:seller_complaint", args=[complaint.number])
    offer = reverse("disputes:seller_action", args=[complaint.number, "offer"])
    client.force_login(member.user)
    assert offer not in _cached(client, url)

    staff_services.change_staff_grants(
        actor=store.owner,
        member=member,
        grants=staff_services.Grants(offer_limit=Decimal("300.00")),
    )

    html, _queries = _page(client, url)
    assert offer in html
    assert "up to ¥300.00" in html


def test_the_deposit_appears_and_goes_with_its_grant(client, complaint, store, member):
    overview = reverse("disputes:seller_overview")
    client.force_login(member.user)
    html = _cached(client, overview)
    assert "Is my deposit sufficient?" not in html
    assert reverse("deposits:seller_deposit") not in html

    staff_services.change_staff_grants(
        actor=store.owner, member=member, grants=staff_services.Grants(may_see_deposit=True)
    )
    html = _cached(client, overview)
    assert "Is my deposit sufficient?" in html

    staff_services.change_staff_grants(
        actor=store.owner, member=member, grants=staff_services.Grants(may_see_deposit=False)
    )
    html, _queries = _page(client, overview)
    assert "Is my deposit sufficient?" not in html


def test_a_removed_member_gets_nothing_from_the_cache(client, complaint, store, member):
    url = reverse("disputes:seller_complaint", args=[complaint.number])
    client.force_login(member.user)
    _cached(client, url)

    staff_services.remove_staff(actor=store.owner, member=member)

    assert client.get(url).status_code == 404
    assert client.get(reverse("disputes:seller_overview")).status_code == 404
