"""The deposit, its statement and its figures are the owner's, and staff granted them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deposits import services
from merchants.models import Merchant
from tests.factories import DepositAccountFactory, MerchantMemberFactory

pytestmark = pytest.mark.django_db

DEPOSIT = reverse("deposits:seller_deposit")
STATEMENT = reverse("deposits:statement_csv")
OVERVIEW = reverse("disputes:seller_overview")


@pytest.fixture
def staff(account):
    return MerchantMemberFactory(merchant=account.merchant).user


@pytest.fixture
def granted(account):
    return MerchantMemberFactory(merchant=account.merchant, may_see_deposit=True).user


def test_staff_without_the_grant_get_403_saying_why_for_the_page_and_the_statement(client, staff):
    client.force_login(staff)
    page = client.get(DEPOSIT, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403
    assert "has not given you access to the deposit" in page.content.decode()
    statement = client.get(STATEMENT)
    assert statement.status_code == 403
    assert statement["Content-Type"].startswith("text/html")  # no CSV, not even a header


def test_staff_with_the_grant_and_the_owner_read_the_deposit_and_its_statement(
    client, account, granted
):
    for user in (granted, account.merchant.members.get(role="owner").user):
        client.force_login(user)
        assert client.get(DEPOSIT).status_code == 200
        statement = client.get(STATEMENT)
        assert statement.status_code == 200
        assert statement["Content-Type"].startswith("text/csv")


def test_the_overview_shows_no_deposit_figure_without_the_grant(client, account, staff, granted):
    services.hold(account=account, amount=Decimal("1234.50"), reference="TS1", idempotency_key="h")
    client.force_login(staff)
    page = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.context["deposit"] is None
    assert "¥1,234.50" not in html and "¥50,000.00" not in html
    assert DEPOSIT not in html  # neither in the section nor in the navigation

    client.force_login(granted)
    html = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "¥1,234.50" in html and DEPOSIT in html


def test_the_restriction_banner_links_the_deposit_only_for_those_who_may_see_it(
    client, account, staff, granted
):
    Merchant.objects.filter(pk=account.merchant_id).update(status=Merchant.Status.RESTRICTED)
    client.force_login(staff)
    html = client.get(reverse("merchants:orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your store is restricted" in html and DEPOSIT not in html
    client.force_login(granted)
    html = client.get(reverse("merchants:orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert DEPOSIT in html


def test_deposit_mail_goes_to_the_owner_and_granted_staff_only(
    now, mailoutbox, django_capture_on_commit_callbacks
):
    short = DepositAccountFactory(paid_in=Decimal("20000.00"))
    owner = MerchantMemberFactory(merchant=short.merchant, role="owner").user
    granted = MerchantMemberFactory(merchant=short.merchant, may_see_deposit=True).user
    MerchantMemberFactory(merchant=short.merchant)  # staff without the grant

    with django_capture_on_commit_callbacks(execute=True):
        services.request_top_up(account=short, now=now)

    assert sorted(address for mail in mailoutbox for address in mail.to) == sorted(
        [owner.email, granted.email]
    )
