import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD
from disputes.models import Offer
from merchants.models import Merchant, MerchantMember
from tests.login import app_code, logs_in

pytestmark = pytest.mark.django_db


def _snapshot():
    """Every row of every project model, as plain values."""
    snapshot = {}
    for model in apps.get_models():
        if model._meta.app_label in {"accounts", "merchants", "deposits", "disputes"}:
            snapshot[model._meta.label] = sorted(
                tuple(sorted((k, str(v)) for k, v in row.items() if k != "last_login"))
                for row in model.objects.values()
            )
    return snapshot


def test_seed_demo_twice_leaves_the_same_data():
    call_command("seed_demo", stdout=io.StringIO())
    first = _snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert _snapshot() == first


def test_seed_demo_has_every_store_type_with_an_owner_and_staff():
    call_command("seed_demo", stdout=io.StringIO())
    assert set(Merchant.objects.values_list("store_type", flat=True)) == {
        "flagship",
        "specialty",
        "franchise",
    }
    for merchant in Merchant.objects.all():
        assert set(merchant.members.values_list("role", flat=True)) == {"owner", "staff"}


def test_seed_demo_prints_logins_that_work():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    expected_home = {
        "consumer@demo.test": "/orders/",
        "13800138000": "/orders/",
        "digital.owner@demo.test": "/seller/",
        "fashion.staff@demo.test": "/seller/",
        "reviewer@demo.test": "/admin/",
        "senior2@demo.test": "/admin/",
        "finance@demo.test": "/admin/",
        "admin@demo.test": "/admin/",
    }
    for username, home in expected_home.items():
        assert username in printed
        client = Client()
        assert logs_in(client, username, DEMO_PASSWORD), username
        if home == "/admin/":
            _passes_the_second_step(client, username)
        assert client.get("/").url == home
        assert client.get(home).status_code == 200, username


def _passes_the_second_step(client, username):
    """A console login sets up its authenticator app first, then reaches the console."""
    second_step = client.get("/")
    assert second_step.url.startswith("/accounts/two-factor/"), username
    enrolment = client.get(second_step.url)
    assert enrolment.status_code == 200
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    assert client.post(second_step.url, {"code": app_code(device)}).status_code == 200


def test_seed_demo_gives_each_stores_staff_other_grants_and_names_them_on_a_timeline():
    call_command("seed_demo", stdout=io.StringIO())
    grants = {
        m.user.username: (m.may_answer, m.offer_limit, m.may_see_deposit)
        for m in MerchantMember.objects.filter(role="staff").select_related("user")
    }
    assert grants == {
        "digital.staff@demo.test": (True, Decimal("500.00"), False),
        "fashion.staff@demo.test": (True, Decimal("2000.00"), True),
        "medical.staff@demo.test": (False, None, False),
        "books.staff@demo.test": (True, None, False),
    }
    client = Client()
    assert logs_in(client, "digital.staff@demo.test", DEMO_PASSWORD)
    assert client.get("/seller/deposit/").status_code == 403
    offer = Offer.objects.get(made_by__username="digital.staff@demo.test")
    page = client.get(f"/seller/complaints/{offer.complaint.number}/").content.decode()
    assert "吴倩" in page
