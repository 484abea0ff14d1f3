"""Only senior reviewers and superusers open the dashboard; the index links to it for them."""

import pytest
from django.urls import reverse

from accounts import roles
from tests.factories import (
    ConsumerFactory,
    FinanceUserFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


def test_the_dashboard_lives_at_admin_dashboard():
    assert reverse("admin:dashboard") == DASHBOARD


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: SeniorReviewerFactory(),
        lambda: PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS]),
        lambda: UserFactory(is_staff=True, is_superuser=True),
    ],
    ids=["senior reviewer", "senior reviewer who also reviews", "superuser"],
)
def test_senior_reviewers_and_superusers_open_the_dashboard(client, make_user):
    client.force_login(make_user())

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert response.context["title"] == "Dashboard"


@pytest.mark.parametrize(
    "make_user",
    [lambda: PlatformUserFactory(), lambda: FinanceUserFactory()],
    ids=["reviewer", "finance"],
)
def test_other_console_users_are_refused(client, make_user):
    client.force_login(make_user())

    assert client.get(DASHBOARD).status_code == 403


def test_a_consumer_is_sent_to_the_login(client):
    client.force_login(ConsumerFactory())

    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert "login" in response.url


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert "login" in response.url
    assert "next=/admin/dashboard/" in response.url


def test_the_console_index_links_to_the_dashboard_for_a_senior_reviewer(client):
    client.force_login(SeniorReviewerFactory())

    page = client.get(reverse("admin:index")).content.decode()

    assert f'href="{DASHBOARD}"' in page
    assert 'id="console-notifications"' in page  # the reviewer's notices stay


def test_the_console_index_has_no_dashboard_link_for_a_reviewer(client):
    client.force_login(PlatformUserFactory())

    page = client.get(reverse("admin:index")).content.decode()

    assert DASHBOARD not in page
    assert 'id="console-notifications"' in page
