"""Store facts that set the required deposit change only through change_store_facts."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from deposits import services as deposit_services
from deposits.models import DepositAccount
from merchants import services
from merchants.models import Category, Merchant, StoreFactChange
from outbox.services import deliver_due
from tests.factories import (
    DepositAccountFactory,
    MerchantFactory,
    MerchantMemberFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def senior():
    return SeniorReviewerFactory()


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def account() -> DepositAccount:
    """A flagship store (all brands registered, general goods) funded to its ¥50,000."""
    account = DepositAccountFactory(paid_in=D("50000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    account.refresh_from_db()
    return account


@pytest.fixture
def store(account) -> Merchant:
    return account.merchant


def categories(*codes):
    return list(Category.objects.filter(code__in=codes))


def facts_of(merchant: Merchant) -> tuple:
    merchant = Merchant.objects.get(pk=merchant.pk)
    return (
        merchant.store_type,
        merchant.mall_flagship,
        merchant.trademark_type,
        sorted(merchant.categories.values_list("code", flat=True)),
        merchant.annual_sales,
    )


# --- the service ------------------------------------------------------------------------


def test_a_change_records_who_when_why_and_the_changed_facts_before_and_after(store, senior):
    store.categories.set(categories("apparel"))
    started = timezone.now()

    change = services.change_store_facts(
        merchant=store,
        actor=senior,
        reason="  Trademark application 12345 is still pending.  ",
        store_type=Merchant.StoreType.FLAGSHIP,  # as it was: not recorded
        trademark_type=Merchant.TrademarkType.APPLIED,
        categories=categories("books-av", "apparel"),
        annual_sales=D("2500000"),
    )

    assert change == StoreFactChange.objects.get(merchant=store)
    assert change.actor == senior
    assert change.reason == "Trademark application 12345 is still pending."
    assert started <= change.changed_at <= timezone.now()
    assert change.before == {
        "trademark_type": "R",
        "categories": ["apparel"],
        "annual_sales": "1000000.00",
    }
    assert change.after == {
        "trademark_type": "TM",
        "categories": ["apparel", "books-av"],
        "annual_sales": "2500000.00",
    }
    assert facts_of(store) == ("flagship", False, "TM", ["apparel", "books-av"], D("2500000.00"))
    # The instance passed in follows the database.
    assert store.trademark_type == "TM"


def test_a_superuser_can_change_store_facts(store, superuser):
    change = services.change_store_facts(
        merchant=store, actor=superuser, reason="Registered.", annual_sales=D("10")
    )
    assert change.after == {"annual_sales": "10.00"}


def test_a_change_that_changes_nothing_writes_nothing(store, account, senior):
    store.categories.set(categories("apparel"))
    before = facts_of(store)

    change = services.change_store_facts(
        merchant=store,
        actor=senior,
        reason="Checked the certificate.",
        store_type="flagship",
        mall_flagship=False,
        trademark_type="R",
        categories=categories("apparel"),
        annual_sales=D("1000000"),
    )

    assert change is None
    assert not StoreFactChange.objects.exists()
    assert facts_of(store) == before
    account.refresh_from_db()
    assert (account.top_up_due_by, account.top_up_request_key) == (None, "")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_change_without_a_reason_is_refused_and_changes_nothing(store, senior, reason):
    before = facts_of(store)
    with pytest.raises(ValidationError) as refused:
        services.change_store_facts(
            merchant=store, actor=senior, reason=reason, trademark_type="TM"
        )
    assert refused.value.error_dict["reason"][0].code == "required"
    assert facts_of(store) == before
    assert not StoreFactChange.objects.exists()


@pytest.mark.parametrize(
    ("facts", "field", "code"),
    [
        ({"store_type": "kiosk"}, "store_type", "invalid_choice"),
        ({"trademark_type": "X"}, "trademark_type", "invalid_choice"),
        ({"mall_flagship": "yes"}, "mall_flagship", "invalid"),
        ({"annual_sales": D("-0.01")}, "annual_sales", "negative"),
        ({"annual_sales": D("100.005")}, "annual_sales", "precision"),
        ({"annual_sales": 1.5}, "annual_sales", "invalid"),
        ({"annual_sales": D("NaN")}, "annual_sales", "out_of_range"),
        ({"annual_sales": D("1e12")}, "annual_sales", "out_of_range"),
        ({"categories": "apparel"}, "categories", "invalid"),
        ({"categories": [Category(code="unsaved")]}, "categories", "invalid"),
        (
            {"store_type": "specialty", "mall_flagship": True},
            "mall_flagship",
            "mall_flagship_not_flagship",
        ),
    ],
)
def test_bad_values_are_refused_with_a_clear_error_and_change_nothing(
    store, account, senior, facts, field, code
):
    before = facts_of(store)
    with pytest.raises(ValidationError) as refused:
        services.change_store_facts(
            merchant=store,
            actor=senior,
            reason="Correction.",
            # A valid change alongside the bad value is not applied either.
            **{"trademark_type": "TM", **facts},
        )
    assert [error.code for error in refused.value.error_dict[field]] == [code]
    assert refused.value.message_dict[field][0]  # a message a reviewer can read
    assert facts_of(store) == before
    assert not StoreFactChange.objects.exists()
    account.refresh_from_db()
    assert account.top_up_due_by is None


def test_a_mall_flagship_store_cannot_stop_being_a_flagship_while_it_is_a_mall_flagship(senior):
    store = MerchantFactory(mall_flagship=True)
    with pytest.raises(ValidationError) as refused:
        services.change_store_facts(
            merchant=store, actor=senior, reason="Now a franchise.", store_type="franchise"
        )
    assert "mall_flagship" in refused.value.error_dict
    assert Merchant.objects.get(pk=store.pk).store_type == "flagship"

    change = services.change_store_facts(
        merchant=store,
        actor=senior,
        reason="Now a franchise.",
        store_type="franchise",
        mall_flagship=False,
    )
    assert change.after == {"store_type": "franchise", "mall_flagship": False}


@pytest.mark.parametrize("actor", [None, "reviewer", "finance", "merchant owner"])
def test_only_a_user_with_the_store_facts_permission_changes_facts(store, actor):
    users = {
        None: None,
        "reviewer": PlatformUserFactory(),
        "finance": PlatformUserFactory(roles=["Finance"]),
        "merchant owner": store.members.get().user,
    }
    before = facts_of(store)
    with pytest.raises(PermissionDenied):
        services.change_store_facts(
            merchant=store, actor=users[actor], reason="Because.", trademark_type="TM"
        )
    assert facts_of(store) == before
    assert not StoreFactChange.objects.exists()


def test_a_failing_listener_undoes_the_whole_change(store, senior, monkeypatch):
    def broken(merchant, change):
        raise RuntimeError("listener failed")

    monkeypatch.setattr(
        services.store_facts, "STORE_FACTS_CHANGED", [*services.STORE_FACTS_CHANGED, broken]
    )
    before = facts_of(store)
    with pytest.raises(RuntimeError):
        services.change_store_facts(
            merchant=store, actor=senior, reason="Because.", trademark_type="TM"
        )
    assert facts_of(store) == before
    assert not StoreFactChange.objects.exists()


def test_a_recorded_change_can_be_neither_edited_nor_deleted(store, senior):
    change = services.change_store_facts(
        merchant=store, actor=senior, reason="Because.", trademark_type="TM"
    )
    change.reason = "Something else."
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        change.delete()
    with pytest.raises(TypeError):
        StoreFactChange.objects.filter(pk=change.pk).update(reason="x")
    with pytest.raises(TypeError):
        StoreFactChange.objects.filter(pk=change.pk).delete()
    assert StoreFactChange.objects.get(pk=change.pk).reason == "Because."


@pytest.mark.postgres
def test_the_same_change_made_at_once_is_recorded_once(account, senior):
    """The merchant row lock makes the later calls see the first one's facts: no-ops."""
    threads = 6
    barrier = Barrier(threads)

    def change(_index):
        try:
            barrier.wait(timeout=10)
            return services.change_store_facts(
                merchant=Merchant.objects.get(pk=account.merchant_id),
                actor=User.objects.get(pk=senior.pk),
                reason="Brand only applied for.",
                trademark_type="TM",
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(change, range(threads)))

    assert len([result for result in results if result is not None]) == 1
    assert StoreFactChange.objects.count() == 1
    account.refresh_from_db()
    assert account.top_up_amount_due == D("50000.00")


# --- the deposit follows ----------------------------------------------------------------


def test_deposits_listens_to_store_fact_changes_once():
    listener = deposit_services.recompute_after_store_facts_change
    apps.get_app_config("deposits").ready()  # a second ready() must not register it twice
    assert services.STORE_FACTS_CHANGED.count(listener) == 1


def test_a_change_raising_the_requirement_opens_a_top_up_notice_for_the_shortfall(
    store, account, senior, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = services.change_store_facts(
            merchant=store, actor=senior, reason="Brand only applied for.", trademark_type="TM"
        )

    account.refresh_from_db()
    # A flagship store with a TM brand keeps ¥100,000; it has ¥50,000.
    assert account.top_up_amount_due == D("50000.00")
    assert change.changed_at <= account.top_up_due_by - deposit_services.TOP_UP_PERIOD
    assert account.top_up_due_by - deposit_services.TOP_UP_PERIOD <= timezone.now()
    assert account.top_up_request_key == f"store-facts-{change.pk}"
    [mail] = mailoutbox
    assert "保证金待补缴" in mail.subject  # as a policy change, in the platform's language
    assert mail.to == [store.members.get().user.email]
    assert "¥50,000.00" in mail.body


def test_a_category_change_can_raise_the_requirement(store, account, senior):
    services.change_store_facts(
        merchant=store, actor=senior, reason="Sells OTC drugs.", categories=categories("otc-drugs")
    )
    account.refresh_from_db()
    assert account.top_up_amount_due == D("250000.00")


def test_a_change_raising_the_requirement_further_raises_the_open_notice(store, account, senior):
    services.change_store_facts(
        merchant=store, actor=senior, reason="Brand only applied for.", trademark_type="TM"
    )
    account.refresh_from_db()
    due_by = account.top_up_due_by

    services.change_store_facts(
        merchant=store, actor=senior, reason="Now a franchise.", store_type="franchise"
    )

    account.refresh_from_db()
    assert account.top_up_amount_due == D("100000.00")
    assert account.top_up_due_by == due_by  # an open notice keeps its deadline


def test_a_change_lowering_the_requirement_closes_the_notice_and_lifts_the_restriction(
    senior, mailoutbox
):
    account = DepositAccountFactory(
        merchant=MerchantFactory(trademark_type="TM"), paid_in=D("50000.00")
    )
    store = account.merchant
    MerchantMemberFactory(merchant=store, role="owner")
    deposit_services.request_top_up(account=account, now=timezone.now())
    assert account.top_up_amount_due == D("50000.00")
    assert deposit_services.restrict_lapsed_top_up(account=account, now=account.top_up_due_by)
    assert Merchant.objects.get(pk=store.pk).status == "restricted"
    deliver_due()  # the notice and the restriction: these tests never commit
    mailoutbox.clear()

    services.change_store_facts(
        merchant=store, actor=senior, reason="Trademark registered.", trademark_type="R"
    )
    deliver_due()

    account.refresh_from_db()
    assert Merchant.objects.get(pk=store.pk).status == "active"
    assert (account.top_up_amount_due, account.top_up_due_by) == (D("0"), None)
    assert account.restricted_for_top_up_at is None
    [mail] = mailoutbox
    assert "监管" in mail.subject  # restriction lifted


def test_a_change_lowering_the_requirement_of_a_still_short_store_lowers_what_is_due(senior):
    account = DepositAccountFactory(
        merchant=MerchantFactory(store_type="franchise", trademark_type="TM"),
        paid_in=D("50000.00"),
    )
    deposit_services.request_top_up(account=account, now=timezone.now())
    assert account.top_up_amount_due == D("100000.00")

    services.change_store_facts(
        merchant=account.merchant, actor=senior, reason="Registered.", trademark_type="R"
    )

    account.refresh_from_db()
    assert account.top_up_amount_due == D("50000.00")
    assert account.top_up_due_by is not None


@pytest.mark.parametrize("status", ["closing", "closed", "removed"])
def test_a_store_that_is_not_open_gets_no_top_up_notice(account, senior, status):
    Merchant.objects.filter(pk=account.merchant_id).update(status=status)
    store = Merchant.objects.get(pk=account.merchant_id)

    change = services.change_store_facts(
        merchant=store, actor=senior, reason="Correction.", trademark_type="TM"
    )

    assert change is not None
    account.refresh_from_db()
    assert (account.top_up_amount_due, account.top_up_due_by) == (D("0"), None)


# --- the admin --------------------------------------------------------------------------


def facts_url(store):
    return reverse("admin:merchants_merchant_store_facts", args=[store.pk])


def change_url(store):
    return reverse("admin:merchants_merchant_change", args=[store.pk])


def test_a_senior_reviewer_changes_store_facts_through_the_admin_form(
    client, store, account, senior
):
    client.force_login(senior)
    page = client.get(change_url(store))
    assert page.status_code == 200
    assert facts_url(store) in page.content.decode()

    form_page = client.get(facts_url(store))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["trademark_type"] == "R"
    [apparel] = categories("apparel")

    response = client.post(
        facts_url(store),
        {
            "store_type": "flagship",
            "trademark_type": "TM",
            "categories": [apparel.pk],
            "annual_sales": "1000000.00",
            "reason": "The brand's registration was refused.",
        },
    )

    assert response.status_code == 302
    assert response.url == change_url(store)
    change = StoreFactChange.objects.get(merchant=store)
    assert (change.actor, change.reason) == (senior, "The brand's registration was refused.")
    assert change.after == {"trademark_type": "TM", "categories": ["apparel"]}
    account.refresh_from_db()
    assert account.top_up_amount_due == D("50000.00")
    history = client.get(change_url(store)).content.decode()
    assert "The brand&#x27;s registration was refused." in history


def test_the_admin_form_shows_the_services_errors_and_changes_nothing(client, store, senior):
    client.force_login(senior)
    before = facts_of(store)

    response = client.post(
        facts_url(store),
        {
            "store_type": "specialty",
            "mall_flagship": "on",
            "trademark_type": "R",
            "annual_sales": "1000000.00",
            "reason": "Correction.",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response.context["form"].errors["mall_flagship"] == [
        "Only a flagship store can be a mall-type flagship store."
    ]
    assert facts_of(store) == before
    assert not StoreFactChange.objects.exists()


def test_the_admin_form_requires_a_reason(client, store, senior):
    client.force_login(senior)
    response = client.post(
        facts_url(store),
        {"store_type": "franchise", "trademark_type": "R", "annual_sales": "0", "reason": " "},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Merchant.objects.get(pk=store.pk).store_type == "flagship"


def test_a_reviewer_gets_403_on_the_store_facts_page_and_sees_no_button(client, store):
    client.force_login(PlatformUserFactory())
    assert client.get(facts_url(store)).status_code == 403
    posted = client.post(
        facts_url(store),
        {"store_type": "franchise", "trademark_type": "R", "annual_sales": "0", "reason": "x"},
    )
    assert posted.status_code == 403
    page = client.get(change_url(store))
    assert page.status_code == 200
    assert facts_url(store) not in page.content.decode()
    assert Merchant.objects.get(pk=store.pk).store_type == "flagship"


def merchant_form_data(store, **changes) -> dict:
    return {
        "code": store.code,
        "name": store.name,
        "company": store.company,
        "store_type": store.store_type,
        "trademark_type": store.trademark_type,
        "annual_sales": str(store.annual_sales),
        "status": store.status,
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
        "fact_changes-TOTAL_FORMS": "0",
        "fact_changes-INITIAL_FORMS": "0",
        **changes,
    }


def test_a_superusers_merchant_change_form_shows_the_facts_read_only(client, store, superuser):
    client.force_login(superuser)
    page = client.get(change_url(store))
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    for name in (
        "store_type",
        "mall_flagship",
        "trademark_type",
        "categories",
        "annual_sales",
        "status",
    ):
        assert name not in fields
    assert "name" in fields
    assert facts_url(store) in page.content.decode()  # superusers have every permission

    [medical] = categories("otc-drugs")
    response = client.post(
        change_url(store),
        merchant_form_data(
            store,
            name="Renamed store",
            store_type="franchise",
            trademark_type="TM",
            annual_sales="9",
            categories=[medical.pk],
        ),
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert store.name == "Renamed store"  # the form was saved, without the facts
    assert facts_of(store) == ("flagship", False, "R", [], D("1000000.00"))
    assert not StoreFactChange.objects.exists()


def test_the_add_page_still_sets_the_facts_of_a_new_store(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:merchants_merchant_add"))
    assert "store_type" in page.context["adminform"].form.fields
    response = client.post(
        reverse("admin:merchants_merchant_add"),
        {
            "code": "new-store",
            "name": "新店",
            "company": "新公司",
            "store_type": "franchise",
            "trademark_type": "TM",
            "annual_sales": "10.00",
            "status": "active",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Merchant.objects.get(code="new-store").store_type == "franchise"


def test_store_fact_changes_are_read_only_in_the_admin_even_for_a_superuser(
    client, store, senior, superuser
):
    change = services.change_store_facts(
        merchant=store, actor=senior, reason="Because.", trademark_type="TM"
    )
    client.force_login(superuser)
    changelist = client.get(reverse("admin:merchants_storefactchange_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:merchants_storefactchange_add") not in changelist.content.decode()
    detail = reverse("admin:merchants_storefactchange_change", args=[change.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"reason": "Edited."}).status_code == 403
    assert client.get(reverse("admin:merchants_storefactchange_add")).status_code == 403
    delete = reverse("admin:merchants_storefactchange_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert StoreFactChange.objects.get(pk=change.pk).reason == "Because."


def test_reviewers_read_the_history_of_store_facts(client, store, senior):
    services.change_store_facts(
        merchant=store, actor=senior, reason="Sales corrected.", annual_sales=D("1234567.8")
    )
    client.force_login(PlatformUserFactory())
    page = client.get(change_url(store)).content.decode()
    assert "Sales corrected." in page
    assert "¥1,000,000.00 → ¥1,234,567.80" in page


def test_the_store_facts_pages_have_no_inline_script_or_style(client, store, senior):
    services.change_store_facts(
        merchant=store, actor=senior, reason="Because.", trademark_type="TM"
    )
    client.force_login(senior)
    for url in (change_url(store), facts_url(store)):
        content = client.get(url).content.decode()
        assert " style=" not in content
        assert "<script>" not in content
        assert '<script type="text/javascript">' not in content


def test_a_senior_reviewer_gets_the_store_facts_permission_by_role(senior):
    assert senior.has_perm("merchants.change_store_facts")
    assert not PlatformUserFactory().has_perm("merchants.change_store_facts")
