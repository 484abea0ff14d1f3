import pytest
from django.urls import reverse

from accounts import roles
from tests.factories import ConsumerFactory, MerchantMemberFactory, PlatformUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_sees_what_the_platform_is_and_where_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("accounts:login").encode() in response.content
    assert reverse("accounts:signup").encode() in response.content


def test_a_consumer_is_sent_to_their_orders(client):
    client.force_login(ConsumerFactory())
    assert client.get("/").url == reverse("disputes:consumer_orders")


def test_merchant_staff_are_sent_to_the_seller_dashboard(client):
    client.force_login(MerchantMemberFactory().user)
    assert client.get("/").url == reverse("disputes:seller_overview")


@pytest.mark.parametrize("role", [roles.REVIEWERS, roles.SENIOR_REVIEWERS, roles.FINANCE])
def test_platform_staff_are_sent_to_the_console(client, role):
    client.force_login(PlatformUserFactory(roles=[role]))
    assert client.get("/").url == reverse("admin:index")


def test_a_superuser_is_sent_to_the_console(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/").url == reverse("admin:index")


def test_the_interface_speaks_chinese_by_default_and_english_on_request(client):
    assert "登录".encode() in client.get("/").content
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert b"Log in" in client.get("/").content


def test_every_navigation_link_of_a_merchant_leads_to_a_real_page(client):
    member = MerchantMemberFactory()
    client.force_login(member.user)
    page = client.get(reverse("disputes:seller_overview"))
    for name in ("disputes:seller_overview", "merchants:orders", "merchants:staff"):
        url = reverse(name)
        assert f'href="{url}"'.encode() in page.content
        assert client.get(url).status_code == 200


def test_a_consumer_cannot_open_the_seller_dashboard(client):
    client.force_login(ConsumerFactory())
    assert client.get(reverse("disputes:seller_overview")).status_code == 404
    assert client.get(reverse("merchants:orders")).status_code == 404


def test_pages_that_need_a_login_send_visitors_to_log_in(client):
    response = client.get(reverse("disputes:consumer_orders"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
