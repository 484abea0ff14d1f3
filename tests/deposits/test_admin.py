from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from common.paginators import EstimatedCountPaginator
from deposits import services
from deposits.destinations import Destination
from deposits.models import DepositPolicy, Disbursement, LedgerEntry
from tests.factories import (
    ConsumerFactory,
    FinanceUserFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def disbursement(account):
    return services.pay_out(
        account=account,
        reference="TS1",
        amount=D("100"),
        payee=ConsumerFactory(),
        destination=Destination.of(method="alipay", number="x@example.com"),
        idempotency_key="p",
    ).disbursement


def test_ledger_entries_are_read_only_even_for_a_superuser(client, account, superuser):
    entry = LedgerEntry.objects.get(account=account)
    client.force_login(superuser)
    changelist = client.get(reverse("admin:deposits_ledgerentry_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:deposits_ledgerentry_add") not in changelist.content.decode()
    assert (
        client.get(reverse("admin:deposits_ledgerentry_change", args=[entry.pk])).status_code == 200
    )
    assert (
        client.post(
            reverse("admin:deposits_ledgerentry_change", args=[entry.pk]), {"memo": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:deposits_ledgerentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:deposits_ledgerentry_delete", args=[entry.pk])).status_code
        == 403
    )
    assert LedgerEntry.objects.get(pk=entry.pk).memo == ""


def test_the_account_page_links_to_its_entries(client, account):
    client.force_login(PlatformUserFactory())
    page = client.get(reverse("admin:deposits_depositaccount_change", args=[account.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert f"?account={account.pk}" in content
    assert reverse("admin:deposits_depositaccount_pay_in", args=[account.pk]) not in content
    entries = client.get(
        reverse("admin:deposits_ledgerentry_changelist") + f"?account={account.pk}"
    )
    assert entries.status_code == 200
    assert list(entries.context["cl"].result_list) == list(
        LedgerEntry.objects.filter(account=account)
    )


def test_finance_records_a_top_up_from_the_account_page(client, account):
    finance = FinanceUserFactory()
    client.force_login(finance)
    url = reverse("admin:deposits_depositaccount_pay_in", args=[account.pk])
    form = client.get(url).context["form"]
    data = {
        "kind": "top_up",
        "amount": "1234.56",
        "reference": "ICBC-778",
        "memo": "",
        "idempotency_key": form.initial["idempotency_key"],
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the double click
    account.refresh_from_db()
    assert account.balance == D("51234.56")
    entry = LedgerEntry.objects.filter(account=account).latest("id")
    assert (entry.kind, entry.actor, entry.reference) == ("top_up", finance, "ICBC-778")


def test_a_pay_in_form_with_a_bad_amount_writes_nothing(client, account):
    client.force_login(FinanceUserFactory())
    url = reverse("admin:deposits_depositaccount_pay_in", args=[account.pk])
    response = client.post(
        url, {"kind": "pay_in", "amount": "1.001", "reference": "B", "idempotency_key": "k"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert LedgerEntry.objects.count() == 1


def test_a_reviewer_cannot_record_a_pay_in(client, account):
    client.force_login(PlatformUserFactory())
    url = reverse("admin:deposits_depositaccount_pay_in", args=[account.pk])
    assert client.get(url).status_code == 403


def test_only_a_senior_reviewer_posts_an_adjustment(client, account):
    url = reverse("admin:deposits_depositaccount_adjust", args=[account.pk])
    client.force_login(FinanceUserFactory())
    assert client.get(url).status_code == 403

    client.force_login(SeniorReviewerFactory())
    data = {
        "balance_delta": "-10.00",
        "arrears_delta": "0",
        "reference": "",
        "memo": "Duplicate bank fee",
        "idempotency_key": "adj-1",
    }
    assert client.post(url, data).status_code == 302
    account.refresh_from_db()
    assert account.balance == D("49990.00")


def test_an_adjustment_without_a_memo_is_refused(client, account):
    client.force_login(SeniorReviewerFactory())
    url = reverse("admin:deposits_depositaccount_adjust", args=[account.pk])
    response = client.post(
        url, {"balance_delta": "1", "arrears_delta": "0", "memo": "", "idempotency_key": "a"}
    )
    assert response.status_code == 200
    assert LedgerEntry.objects.count() == 1


def changelist_action(client, action, pks, **extra):
    return client.post(
        reverse("admin:deposits_disbursement_changelist"),
        {"action": action, "_selected_action": pks, **extra},
    )


def test_finance_marks_a_disbursement_sent_with_its_reference(client, disbursement):
    client.force_login(FinanceUserFactory())
    page = changelist_action(client, "mark_sent", [disbursement.pk])
    assert page.status_code == 200
    assert "form-TOTAL_FORMS" in page.content.decode()
    done = changelist_action(
        client,
        "mark_sent",
        [disbursement.pk],
        apply="1",
        **{
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-disbursement_id": str(disbursement.pk),
            "form-0-destination_version": str(disbursement.destination_version),
            "form-0-external_reference": "ALIPAY-2026-1",
        },
    )
    assert done.status_code == 302
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.external_reference) == ("sent", "ALIPAY-2026-1")


def test_finance_marks_a_disbursement_failed_and_retries_it(client, disbursement):
    client.force_login(FinanceUserFactory())
    assert changelist_action(client, "mark_failed", [disbursement.pk]).status_code == 200
    changelist_action(client, "mark_failed", [disbursement.pk], apply="1", reason="Account closed")
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.failure_reason) == ("failed", "Account closed")
    changelist_action(client, "retry", [disbursement.pk])
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.attempts) == ("pending", 2)


def test_a_senior_reviewer_sees_disbursements_but_cannot_send_them(client, disbursement):
    client.force_login(SeniorReviewerFactory())
    page = client.get(reverse("admin:deposits_disbursement_changelist"))
    assert page.status_code == 200
    assert "mark_sent" not in page.content.decode()
    changelist_action(client, "retry", [disbursement.pk])
    changelist_action(client, "mark_failed", [disbursement.pk], apply="1", reason="x")
    disbursement.refresh_from_db()
    assert disbursement.status == Disbursement.Status.PENDING


def test_reviewers_cannot_see_disbursements(client, disbursement):
    client.force_login(PlatformUserFactory())
    assert client.get(reverse("admin:deposits_disbursement_changelist")).status_code == 403


def test_only_senior_reviewers_add_deposit_policies(client):
    url = reverse("admin:deposits_depositpolicy_add")
    client.force_login(FinanceUserFactory())
    assert client.get(url).status_code == 403
    client.force_login(SeniorReviewerFactory())
    assert client.get(url).status_code == 200


def test_a_policy_that_took_effect_cannot_be_changed(client):
    policy = DepositPolicy.objects.get()
    client.force_login(SeniorReviewerFactory())
    url = reverse("admin:deposits_depositpolicy_change", args=[policy.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Rewritten"}).status_code == 403
    policy.refresh_from_db()
    assert policy.name == "Default tiers"


def test_the_ledger_paginator_counts_small_results_exactly(account):
    paginator = EstimatedCountPaginator(LedgerEntry.objects.all(), 100)
    assert paginator.count == 1


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:deposits_depositaccount_changelist",
        "admin:deposits_depositpolicy_changelist",
        "admin:deposits_depositpolicy_add",
        "admin:deposits_ledgerentry_changelist",
        "admin:deposits_disbursement_changelist",
    ],
)
def test_every_deposit_admin_page_opens(client, superuser, disbursement, url_name):
    client.force_login(superuser)
    assert client.get(reverse(url_name)).status_code == 200


def test_the_account_list_filters_open_top_up_notices(client, superuser, disbursement, account):
    client.force_login(superuser)
    response = client.get(reverse("admin:deposits_depositaccount_changelist") + "?top_up=open")
    assert list(response.context["cl"].result_list) == [account]


def test_a_new_policy_cannot_take_effect_in_the_past(client):
    client.force_login(SeniorReviewerFactory())
    response = client.post(
        reverse("admin:deposits_depositpolicy_add"),
        {
            "name": "Backdated",
            "effective_from_0": "2020-01-01",
            "effective_from_1": "00:00:00",
            "tiers-TOTAL_FORMS": "0",
            "tiers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "effective_from" in response.context["adminform"].form.errors
    assert DepositPolicy.objects.count() == 1


def test_a_senior_reviewer_adds_a_future_policy_with_its_tiers(client):
    client.force_login(SeniorReviewerFactory())
    response = client.post(
        reverse("admin:deposits_depositpolicy_add"),
        {
            "name": "Future tiers",
            "effective_from_0": "2099-01-01",
            "effective_from_1": "00:00:00",
            "tiers-TOTAL_FORMS": "1",
            "tiers-INITIAL_FORMS": "0",
            "tiers-0-category_group": "general",
            "tiers-0-store_type": "",
            "tiers-0-trademark_type": "",
            "tiers-0-amount": "60000",
        },
    )
    assert response.status_code == 302
    assert DepositPolicy.objects.get(name="Future tiers").tiers.get().amount == D("60000")


@pytest.mark.postgres
def test_the_ledger_paginator_estimates_large_results_from_the_planner(account, monkeypatch):
    monkeypatch.setattr("common.paginators.EXACT_COUNT_LIMIT", 0)
    paginator = EstimatedCountPaginator(LedgerEntry.objects.filter(account=account), 100)
    assert isinstance(paginator.count, int)
    assert paginator.count >= 1


def test_a_new_policy_takes_effect_no_sooner_than_every_server_can_know_it(client):
    soon = timezone.localtime() + timedelta(minutes=2)
    client.force_login(SeniorReviewerFactory())
    response = client.post(
        reverse("admin:deposits_depositpolicy_add"),
        {
            "name": "Too soon",
            "effective_from_0": soon.strftime("%Y-%m-%d"),
            "effective_from_1": soon.strftime("%H:%M:%S"),
            "tiers-TOTAL_FORMS": "0",
            "tiers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "effective_from" in response.context["adminform"].form.errors
