"""Clients, keys and calls in the console: for superusers only; a key is shown once and
kept nowhere in plain text."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from api.models import ApiCall, ApiClient, ApiKey, Scope
from api.services import authenticate
from tests.factories import PlatformUserFactory

pytestmark = pytest.mark.django_db

SECRET_PREFIX = "dcapi_"


def _shown_key(response) -> str:
    html = response.content.decode()
    start = html.index(SECRET_PREFIX)
    return html[start : html.index("<", start)]


@pytest.fixture
def console(client, superuser):
    client.force_login(superuser)
    return client


def _new_client(console, **fields):
    return console.post(
        reverse("admin:api_apiclient_add"),
        {
            "name": "Store ERP",
            "contact_email": "erp@store.test",
            "scopes": [Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE],
            "may_answer": "on",
            "offer_limit": "200.00",
            **fields,
        },
    )


def test_a_superuser_creates_a_client_and_sees_its_key_once(console, store):
    form = console.get(reverse("admin:api_apiclient_add")).content.decode()
    assert 'type="checkbox" name="scopes" value="complaints:write"' in form
    response = _new_client(console, merchant=store.pk)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = _shown_key(response)
    client = ApiClient.objects.get(name="Store ERP")
    assert authenticate(secret).client == client
    assert client.user.merchant_membership.offer_limit == 200
    # Nowhere kept: not in the key's row, not in the session (where messages go).
    assert not ApiKey.objects.filter(prefix=secret).exists()
    assert all(secret not in str(s.get_decoded()) for s in Session.objects.all())
    assert secret not in str(console.cookies)
    change_page = console.get(reverse("admin:api_apiclient_change", args=[client.pk]))
    assert secret not in change_page.content.decode()


def test_the_services_rules_refuse_a_client_without_its_store(console):
    response = _new_client(console)
    assert response.status_code == 302
    assert not ApiClient.objects.exists()


def test_rotating_shows_a_new_key_and_the_old_one_keeps_working(console, store_erp):
    response = console.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "rotate_keys", "_selected_action": [store_erp.client.pk]},
    )
    new_secret = _shown_key(response)
    assert authenticate(new_secret).client == store_erp.client
    assert authenticate(store_erp.secret) is not None


def test_revoking_a_key_stops_it_at_once(console, store_erp):
    key = store_erp.client.keys.get()
    console.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert authenticate(store_erp.secret) is None


def test_deactivating_and_activating_a_client(console, store_erp):
    changelist = reverse("admin:api_apiclient_changelist")
    console.post(changelist, {"action": "deactivate", "_selected_action": [store_erp.client.pk]})
    assert authenticate(store_erp.secret) is None
    console.post(changelist, {"action": "activate", "_selected_action": [store_erp.client.pk]})
    assert authenticate(store_erp.secret) is not None


def test_the_calls_are_listed_read_only(console, store_erp):
    store_erp.get("/api/v1/complaints")
    call = ApiCall.objects.get()
    assert console.get(reverse("admin:api_apicall_changelist")).status_code == 200
    assert console.get(reverse("admin:api_apicall_change", args=[call.pk])).status_code == 200
    assert console.get(reverse("admin:api_apicall_add")).status_code == 403


def test_staff_who_are_not_superusers_see_none_of_it(client, store_erp):
    client.force_login(PlatformUserFactory())
    for name in ("apiclient_changelist", "apiclient_add", "apikey_changelist"):
        assert client.get(reverse(f"admin:api_{name}")).status_code == 403
