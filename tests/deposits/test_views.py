from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deposits import services
from deposits.destinations import Destination
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    MerchantMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def member(account):
    return account.merchant.members.get(role="owner").user


def test_the_deposit_page_shows_the_stores_amounts(client, account, member):
    services.hold(account=account, amount=D("1234.50"), reference="TS1", idempotency_key="h")
    client.force_login(member)
    response = client.get(reverse("deposits:seller_deposit"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    overview = response.context["overview"]
    assert (overview.balance, overview.held, overview.available, overview.required) == (
        D("50000.00"),
        D("1234.50"),
        D("48765.50"),
        D("50000.00"),
    )
    assert overview.cover_percent == 97
    content = response.content.decode()
    assert "48,765.50" in content
    assert "banner-warning" not in content
    assert reverse("deposits:statement_csv") in content


def test_a_short_store_sees_its_top_up_notice(client, account, member):
    services.pay_out(
        account=account,
        reference="TS1",
        amount=D("60000"),
        payee=ConsumerFactory(),
        destination=Destination.of(method="alipay", number="x"),
        idempotency_key="p",
    )
    client.force_login(member)
    response = client.get(reverse("deposits:seller_deposit"))
    content = response.content.decode()
    assert "banner banner-warning" in content
    assert "¥60,000.00" in content  # ¥50,000 required + ¥10,000 arrears
    assert response.context["overview"].arrears == D("10000.00")


def test_a_store_that_never_paid_in_sees_an_empty_deposit(client):
    member = MerchantMemberFactory(role="owner").user
    client.force_login(member)
    response = client.get(reverse("deposits:seller_deposit"))
    assert response.status_code == 200
    assert response.context["overview"].shortfall == D("50000.00")


def test_someone_without_a_store_gets_404(client, account):
    client.force_login(UserFactory())
    assert client.get(reverse("deposits:seller_deposit")).status_code == 404
    assert client.get(reverse("deposits:statement_csv")).status_code == 404


def test_the_deposit_page_needs_a_login(client):
    response = client.get(reverse("deposits:seller_deposit"))
    assert response.status_code == 302


def test_a_member_sees_only_their_own_stores_deposit(client, account):
    other = DepositAccountFactory(paid_in=D("777.00"))
    member = MerchantMemberFactory(merchant=other.merchant, may_see_deposit=True).user
    client.force_login(member)
    response = client.get(reverse("deposits:seller_deposit"))
    assert response.context["overview"].account == other


# The page's own reads (membership, account, policy, tiers, categories, entries) plus the
# session, the user and what the shared layout reads for every page.
PAGE_QUERY_BUDGET = 14


def page_queries(client, account, entries):
    for n in range(entries):
        services.hold(account=account, amount=D("1"), reference=f"TS{n}", idempotency_key=f"h{n}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("deposits:seller_deposit")).status_code == 200
    return len(queries)


def test_the_deposit_page_reads_the_same_whatever_the_number_of_entries(client, account, member):
    client.force_login(member)
    # A running server has read the deposit policies already (common.effective).
    client.get(reverse("deposits:seller_deposit"))
    assert page_queries(client, account, 1) == page_queries(client, account, 40)


def test_the_deposit_page_keeps_to_its_query_budget(
    client, account, member, django_assert_max_num_queries
):
    for n in range(40):
        services.hold(account=account, amount=D("1"), reference=f"TS{n}", idempotency_key=f"h{n}")
    client.force_login(member)
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert client.get(reverse("deposits:seller_deposit")).status_code == 200


def test_the_statement_downloads_as_csv(client, account, member):
    client.force_login(member)
    response = client.get(reverse("deposits:statement_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "50000.00" in body
    assert len(body.strip().splitlines()) == 2
