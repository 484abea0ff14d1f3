"""The console lists the settlements merchants record as paid directly, read-only."""

import pytest
from django.urls import reverse

from tests.disputes.test_direct_payment import record
from tests.factories import FinanceUserFactory, PlatformUserFactory, SeniorReviewerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:disputes_directpayment_changelist")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def payment(complaint, store):
    from disputes import services

    settled = services.accept_claim(complaint=complaint, actor=store.owner)
    return record(settled, store.owner)


@pytest.mark.parametrize("role", [PlatformUserFactory, SeniorReviewerFactory, FinanceUserFactory])
def test_every_platform_role_reads_the_list_and_the_record(
    client, payment, role, django_assert_max_num_queries
):
    client.force_login(role())
    with django_assert_max_num_queries(12):
        page = client.get(LIST, **EN).content.decode()
    assert payment.complaint.number in page and payment.reference in page
    detail = client.get(reverse("admin:disputes_directpayment_change", args=[payment.pk]), **EN)
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_the_list_finds_a_payment_by_its_reference(client, payment):
    client.force_login(PlatformUserFactory())
    page = client.get(LIST, {"q": payment.reference}, **EN).content.decode()
    assert payment.complaint.number in page


def test_nobody_adds_or_deletes_a_recorded_payment(client, payment):
    client.force_login(SeniorReviewerFactory())
    assert client.get(reverse("admin:disputes_directpayment_add")).status_code == 403
    delete = reverse("admin:disputes_directpayment_delete", args=[payment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_a_party_never_reaches_the_console_list(client, payment, store):
    client.force_login(store.owner)
    assert client.get(LIST).status_code == 302
