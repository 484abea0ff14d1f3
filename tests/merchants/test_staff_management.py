"""The owner changes what each staff member may do and removes them; nobody else can."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from merchants import services
from merchants.models import MerchantMember, StaffInvitation
from tests.factories import MerchantMemberFactory

pytestmark = pytest.mark.django_db

STAFF_PAGE = reverse("merchants:staff")


@pytest.fixture
def owner(db):
    return MerchantMemberFactory(role="owner")


@pytest.fixture
def staff(owner):
    return MerchantMemberFactory(merchant=owner.merchant, user__display_name="吴倩")


def _member_url(member):
    return reverse("merchants:staff_member", args=[member.pk])


def _remove_url(member):
    return reverse("merchants:remove_staff", args=[member.pk])


def _grants(member):
    member.refresh_from_db()
    return (member.may_answer, member.offer_limit, member.may_see_deposit)


# --- changing grants --------------------------------------------------------------------


def test_the_owner_changes_what_a_member_may_do(client, owner, staff):
    client.force_login(owner.user)
    page = client.get(_member_url(staff))
    assert page.status_code == 200

    response = client.post(
        _member_url(staff), {"may_answer": "on", "offer_limit": "1200.50", "may_see_deposit": "on"}
    )

    assert response.url == STAFF_PAGE
    assert _grants(staff) == (True, Decimal("1200.50"), True)
    client.post(_member_url(staff), {})  # every box cleared: read only
    assert _grants(staff) == (False, None, False)


def test_a_grant_that_makes_no_sense_is_refused_and_nothing_changes(client, owner, staff):
    client.force_login(owner.user)
    for data in (
        {"offer_limit": "100"},  # settling without answering
        {"may_answer": "on", "offer_limit": "0"},
        {"may_answer": "on", "offer_limit": "12.345"},
        {"may_answer": "on", "offer_limit": "abc"},
    ):
        response = client.post(_member_url(staff), data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, data
    assert _grants(staff) == (True, None, False)
    with pytest.raises(ValidationError) as refused:
        services.change_staff_grants(
            actor=owner.user,
            member=staff,
            grants=services.Grants(may_answer=False, offer_limit=Decimal("100.00")),
        )
    assert refused.value.error_dict["offer_limit"][0].code == "needs_answering"


def test_staff_cannot_change_grants_nor_remove_anyone(client, owner, staff):
    colleague = MerchantMemberFactory(merchant=owner.merchant)
    client.force_login(staff.user)

    assert client.get(_member_url(colleague)).status_code == 403
    assert (
        client.post(_member_url(staff), {"may_answer": "on", "offer_limit": "9999"}).status_code
        == 403
    )
    assert client.post(_remove_url(colleague), {"confirm": "on"}).status_code == 403
    assert _grants(staff) == (True, None, False)
    assert MerchantMember.objects.filter(pk=colleague.pk).exists()
    with pytest.raises(PermissionDenied):
        services.change_staff_grants(
            actor=staff.user, member=staff, grants=services.Grants(offer_limit=Decimal("9999"))
        )
    with pytest.raises(PermissionDenied):
        services.remove_staff(actor=staff.user, member=colleague)


def test_the_owner_of_one_store_cannot_touch_another_stores_staff(client, owner):
    elsewhere = MerchantMemberFactory()  # staff of another store
    client.force_login(owner.user)

    assert client.get(_member_url(elsewhere)).status_code == 404
    assert client.post(_member_url(elsewhere), {"may_answer": "on"}).status_code == 404
    response = client.post(_remove_url(elsewhere), {"confirm": "on"})
    assert response.url == STAFF_PAGE  # "not on your staff": nothing said about the other store
    assert MerchantMember.objects.filter(pk=elsewhere.pk).exists()
    invitation = StaffInvitation.objects.create(
        merchant=elsewhere.merchant,
        identifier="x@shop.test",
        display_name="X",
        invited_by=elsewhere.user,
        expires_at="2030-01-01T00:00:00Z",
        token_digest="0" * 64,
    )
    withdraw = reverse("merchants:withdraw_invitation", args=[invitation.pk])
    assert client.post(withdraw).status_code == 404
    with pytest.raises(PermissionDenied):
        services.remove_staff(actor=owner.user, member=elsewhere)
    with pytest.raises(PermissionDenied):
        services.withdraw_invitation(actor=owner.user, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_owner_is_neither_granted_nor_removed(client, owner):
    client.force_login(owner.user)
    assert client.get(_member_url(owner)).status_code == 200  # reachable, but:
    response = client.post(_member_url(owner), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "stays the owner" in response.content.decode()
    client.post(_remove_url(owner), {"confirm": "on"})
    assert MerchantMember.objects.filter(pk=owner.pk, role="owner").exists()
    with pytest.raises(ValidationError) as refused:
        services.remove_staff(actor=owner.user, member=owner)
    assert refused.value.code == "owner"


# --- removing ---------------------------------------------------------------------------


def test_a_removed_member_loses_the_store_at_their_next_request(client, owner, staff):
    staff_client = client.__class__()
    staff_client.force_login(staff.user)
    assert staff_client.get(reverse("disputes:seller_overview")).status_code == 200

    client.force_login(owner.user)
    assert client.post(_remove_url(staff), {}).status_code == 302  # unconfirmed: nothing
    assert MerchantMember.objects.filter(pk=staff.pk).exists()
    response = client.post(_remove_url(staff), {"confirm": "on"})

    assert response.url == STAFF_PAGE
    assert not MerchantMember.objects.filter(pk=staff.pk).exists()
    # The same session, a moment later: no store, and no seller role to be sent to.
    assert staff_client.get(reverse("disputes:seller_overview")).status_code == 404
    assert staff_client.get(reverse("merchants:orders")).status_code == 404
    staff.user.refresh_from_db()
    assert staff.user.is_active  # the account remains theirs
    assert not staff.user.groups.filter(name=roles.MERCHANT_STAFF).exists()
    assert staff_client.get(reverse("home")).url == reverse("disputes:consumer_orders")


def test_removing_twice_says_so_and_changes_nothing_more(client, owner, staff):
    client.force_login(owner.user)
    client.post(_remove_url(staff), {"confirm": "on"})
    again = client.post(_remove_url(staff), {"confirm": "on"}, follow=True)
    assert again.status_code == 200
    assert MerchantMember.objects.filter(merchant=owner.merchant).count() == 1
    with pytest.raises(ValidationError) as refused:
        services.remove_staff(actor=owner.user, member=staff)
    assert refused.value.code == "not_a_member"


def test_a_removed_members_notices_about_the_store_go(owner, staff):
    from disputes.models import Notification
    from tests.factories import ComplaintFactory, OrderFactory

    complaint = ComplaintFactory(order=OrderFactory(merchant=owner.merchant))
    Notification.objects.create(user=staff.user, complaint=complaint, event="filed", url="/")
    Notification.objects.create(user=owner.user, complaint=complaint, event="filed", url="/")

    services.remove_staff(actor=owner.user, member=staff)

    assert list(Notification.objects.values_list("user", flat=True)) == [owner.user.pk]


# --- the staff page ---------------------------------------------------------------------


def test_staff_see_the_owner_and_what_they_themselves_may_do(client, owner, staff):
    colleague = MerchantMemberFactory(merchant=owner.merchant, user__display_name="孙悦")
    client.force_login(staff.user)
    page = client.get(STAFF_PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "吴倩" in page and owner.user.display_name in page
    assert colleague.user.display_name not in page
    assert owner.user.username not in page  # logins are the owner's to see
    assert "Read the store" in page


def test_the_owner_sees_every_member_their_grants_and_the_invitations(client, owner, staff):
    StaffInvitation.objects.create(
        merchant=owner.merchant,
        identifier="waiting@shop.test",
        display_name="林文",
        invited_by=owner.user,
        offer_limit=Decimal("300.00"),
        expires_at="2030-01-01T00:00:00Z",
        token_digest="1" * 64,
    )
    client.force_login(owner.user)
    page = client.get(STAFF_PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert staff.user.username in page and _member_url(staff) in page
    assert "waiting@shop.test" in page and "¥300.00" in page
    assert reverse("merchants:invite") in page


def test_the_staff_page_costs_the_same_queries_for_1_or_15_members_and_invitations(
    client, owner, django_assert_max_num_queries
):
    def grow(count):
        start = MerchantMember.objects.count()
        for n in range(start, start + count):
            MerchantMemberFactory(merchant=owner.merchant)
            StaffInvitation.objects.create(
                merchant=owner.merchant,
                identifier=f"person{n}@shop.test",
                display_name=f"员工{n}",
                invited_by=owner.user,
                expires_at="2030-01-01T00:00:00Z",
                token_digest=f"{n:064d}",
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(STAFF_PAGE).status_code == 200
        return len(captured)

    client.force_login(owner.user)
    grow(1)
    small = queries()
    grow(14)
    with django_assert_max_num_queries(8):
        large = queries()
    assert small == large


# --- the console ------------------------------------------------------------------------


def test_the_console_shows_a_stores_staff_and_invitations_read_only(client, owner, staff):
    from tests.factories import PlatformUserFactory

    StaffInvitation.objects.create(
        merchant=owner.merchant,
        identifier="waiting@shop.test",
        display_name="林文",
        invited_by=owner.user,
        expires_at="2030-01-01T00:00:00Z",
        token_digest="2" * 64,
    )
    client.force_login(PlatformUserFactory())  # a reviewer
    page = client.get(
        reverse("admin:merchants_merchant_change", args=[owner.merchant.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "waiting@shop.test" in html and "Read the store" in html
    invitations = reverse("admin:merchants_staffinvitation_changelist")
    assert client.get(invitations).status_code == 200
    invitation = StaffInvitation.objects.get()
    change = reverse("admin:merchants_staffinvitation_change", args=[invitation.pk])
    assert client.post(change, {"identifier": "other@shop.test"}).status_code == 403
    assert StaffInvitation.objects.get().identifier == "waiting@shop.test"
