"""The owner invites staff by a one-time link; the invitee joins with what was granted."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from merchants import services
from merchants.models import MerchantMember, StaffInvitation
from outbox import sms
from outbox.models import OutboundMessage
from outbox.services import deliver_due
from tests.factories import ConsumerFactory, MerchantMemberFactory, PlatformUserFactory, UserFactory
from tests.login import logs_in

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-Pass-phrase-9"
INVITE = reverse("merchants:invite")
LIMITED = {"may_answer": "on", "offer_limit": "500.00"}


@pytest.fixture
def owner(db):
    return MerchantMemberFactory(role="owner", user__display_name="周立").user


@pytest.fixture
def invite(client, owner):
    """The owner posts the invitation form (pages in English); what it queued is sent, as
    the delivery after its commit would."""

    def invite_(identifier="wu.qian@shop.test", name="吴倩", **grants):
        client.force_login(owner)
        response = client.post(
            INVITE,
            {"identifier": identifier, "display_name": name, **(grants or LIMITED)},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        deliver_due()
        return response

    return invite_


def _link_in(text: str) -> str:
    return re.search(r"https?://\S+/seller/join/\S+/", text).group(0)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _join(client, link, name="吴倩", password=PASSWORD, language="zh-hans"):
    return client.post(
        _path(link),
        {"display_name": name, "new_password1": password, "new_password2": password},
        HTTP_ACCEPT_LANGUAGE=language,
    )


# --- inviting ---------------------------------------------------------------------------


def test_an_invitation_by_email_mails_a_one_time_link_with_the_grants(invite, owner):
    response = invite("Wu.Qian@Shop.test")

    assert response.status_code == 302
    invitation = StaffInvitation.objects.get()
    assert (invitation.identifier, invitation.display_name) == ("wu.qian@shop.test", "吴倩")
    assert (invitation.may_answer, invitation.offer_limit, invitation.may_see_deposit) == (
        True,
        Decimal("500.00"),
        False,
    )
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    (message,) = mail.outbox
    assert message.to == ["wu.qian@shop.test"]
    assert invitation.merchant.name in message.subject
    # In the platform's language: the invitee has none of their own yet.
    assert "¥500.00" in message.body and "周立" in message.body and "吴倩" in message.body
    link = _link_in(message.body)
    # Only the token's digest is kept: the table cannot be used to join.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_digest == StaffInvitation.digest(token) != token
    # The link is a credential: its text is erased from the outbox once sent.
    assert OutboundMessage.objects.get().body == ""


def test_an_invitation_to_a_mobile_number_goes_by_text_message(invite):
    invite("139 0000 4444")

    ((to, body),) = sms.outbox
    assert to == "13900004444"
    assert "/seller/join/" in body
    assert mail.outbox == []
    assert OutboundMessage.objects.get().channel == "sms"


def test_a_bad_address_or_grant_is_refused_with_the_reason_and_nothing_is_sent(invite):
    response = invite("not an address")
    assert response.status_code == 400
    assert "11-digit mainland mobile number" in response.content.decode()

    response = invite(offer_limit="500", may_see_deposit="on")  # settling without answering
    assert response.status_code == 400
    assert "allow answering complaints too" in response.content.decode()

    response = invite(may_answer="on", offer_limit="-3")
    assert response.status_code == 400
    assert not StaffInvitation.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_someone_already_on_the_staff_is_not_invited_again(invite, owner):
    MerchantMemberFactory(
        merchant=owner.merchant_membership.merchant, user__username="in@shop.test"
    )
    response = invite("in@shop.test")
    assert response.status_code == 400
    assert "already on your staff" in response.content.decode()
    assert not StaffInvitation.objects.exists()


def test_inviting_an_address_again_withdraws_the_first_link(client, invite):
    invite()
    first = _link_in(mail.outbox[0].body)
    invite(offer_limit="800.00", may_answer="on")
    second = _link_in(mail.outbox[1].body)

    assert StaffInvitation.objects.filter(revoked_at__isnull=True).count() == 1
    client.logout()
    assert client.get(_path(first)).context["valid"] is False
    assert _join(client, second).status_code == 302
    assert MerchantMember.objects.get(user__username="wu.qian@shop.test").offer_limit == Decimal(
        "800.00"
    )


def test_an_owner_sends_at_most_three_invitations_an_hour_to_one_address(invite):
    answers = [invite() for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert "nothing was sent" in answers[-1].content.decode()
    assert len(mail.outbox) == 3


def test_a_store_sends_at_most_twenty_invitations_a_day(invite):
    answers = [invite(f"person{n}@shop.test") for n in range(21)]
    assert [a.status_code for a in answers].count(302) == 20
    assert answers[-1].status_code == 429
    assert StaffInvitation.objects.count() == 20


def test_staff_cannot_invite_nor_see_the_invitations(client, owner):
    staff = MerchantMemberFactory(merchant=owner.merchant_membership.merchant).user
    client.force_login(staff)

    response = client.post(
        INVITE,
        {"identifier": "x@shop.test", "display_name": "X", **LIMITED},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 403
    assert "Only the store owner" in response.content.decode()
    page = client.get(reverse("merchants:staff")).content.decode()
    assert reverse("merchants:invite") not in page
    assert not StaffInvitation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.invite_staff(
            actor=staff,
            identifier="x@shop.test",
            display_name="X",
            grants=services.Grants(),
            base_url="http://testserver",
        )


# --- joining ----------------------------------------------------------------------------


def test_a_new_person_sets_a_password_joins_and_sees_the_store(client, invite):
    invite()
    client.logout()
    link = _link_in(mail.outbox[0].body)

    page = client.get(_path(link))
    assert page.status_code == 200
    assert "¥500.00" in page.content.decode()  # what they will be allowed, before joining
    response = _join(client, link, name="吴倩 (客服)")

    assert response.url == reverse("disputes:seller_overview")
    user = User.objects.get(username="wu.qian@shop.test")
    assert client.session["_auth_user_id"] == str(user.pk)  # logged in at once
    assert user.display_name == "吴倩 (客服)"
    assert set(user.groups.values_list("name", flat=True)) == {roles.MERCHANT_STAFF}
    member = user.merchant_membership
    assert (member.role, member.may_answer, member.offer_limit, member.may_see_deposit) == (
        "staff",
        True,
        Decimal("500.00"),
        False,
    )
    invitation = StaffInvitation.objects.get()
    assert (invitation.accepted_by, invitation.status) == (user, "accepted")
    assert client.get(reverse("disputes:seller_overview")).status_code == 200
    client.logout()
    assert logs_in(client, "WU.QIAN@shop.test", PASSWORD)


def test_a_link_works_once(client, invite):
    invite()
    client.logout()
    link = _link_in(mail.outbox[0].body)
    assert _join(client, link).status_code == 302
    client.logout()

    again = _join(client, link, password="another-Pass-phrase-7", language="en")

    assert again.status_code == 200 and again.context["valid"] is False
    assert "has been used, has expired or was withdrawn" in again.content.decode()
    assert MerchantMember.objects.filter(user__username="wu.qian@shop.test").count() == 1
    assert logs_in(client, "wu.qian@shop.test", PASSWORD)  # the first password stands
    with pytest.raises(ValidationError) as refused:
        services.accept_invitation(token=link.rstrip("/").rsplit("/", 1)[1], password=PASSWORD)
    assert refused.value.code == "invalid_link"


def test_an_expired_link_is_refused_and_joins_nobody(client, invite):
    invite()
    client.logout()
    link = _link_in(mail.outbox[0].body)

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        assert client.get(_path(link)).context["valid"] is False
        assert _join(client, link).context["valid"] is False
        assert StaffInvitation.objects.get().status == "expired"

    assert not User.objects.filter(username="wu.qian@shop.test").exists()


def test_a_withdrawn_link_is_refused(client, invite, owner):
    invite()
    link = _link_in(mail.outbox[0].body)
    invitation = StaffInvitation.objects.get()

    withdraw = reverse("merchants:withdraw_invitation", args=[invitation.pk])
    assert client.post(withdraw, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    again = client.post(withdraw, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302  # a second click is told, and changes nothing
    page = client.get(reverse("merchants:staff"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "withdrawn already" in page

    client.logout()
    assert _join(client, link).context["valid"] is False
    assert not User.objects.filter(username="wu.qian@shop.test").exists()


def test_a_made_up_link_is_refused(client):
    page = client.get(reverse("merchants:join", args=["not-a-real-token"]))
    assert page.status_code == 200 and page.context["valid"] is False


def test_a_weak_password_is_refused_and_joins_nobody(client, invite):
    invite()
    client.logout()
    response = _join(client, _link_in(mail.outbox[0].body), password="123")
    assert response.status_code == 400
    assert not User.objects.filter(username="wu.qian@shop.test").exists()
    assert StaffInvitation.objects.get().status == "pending"


def test_an_existing_account_accepts_only_once_logged_in_as_itself(client, invite):
    former = UserFactory(username="former@shop.test", roles=[], password=PASSWORD)
    invite("former@shop.test")
    client.logout()
    link = _link_in(mail.outbox[0].body)

    page = client.get(_path(link))
    assert "log_in_url" in page.context  # no password form: the account exists
    assert _join(client, link).status_code == 200
    assert not MerchantMember.objects.filter(user=former).exists()

    client.force_login(UserFactory(roles=[]))
    assert client.get(_path(link)).context["other_account"] is True
    assert client.post(_path(link)).status_code == 200
    assert not MerchantMember.objects.filter(user=former).exists()

    client.force_login(former)
    response = client.post(_path(link))
    assert response.url == reverse("disputes:seller_overview")
    assert former.merchant_membership.offer_limit == Decimal("500.00")
    assert former.groups.filter(name=roles.MERCHANT_STAFF).exists()


@pytest.mark.parametrize(
    "make_account",
    [
        lambda: ConsumerFactory(username="buyer@shop.test"),
        lambda: PlatformUserFactory(username="buyer@shop.test"),
        lambda: MerchantMemberFactory(user__username="buyer@shop.test").user,
    ],
    ids=["consumer", "platform", "another-store"],
)
def test_an_account_that_shops_or_works_elsewhere_cannot_join(client, invite, make_account):
    account = make_account()
    invite("buyer@shop.test")
    client.force_login(account)

    page = client.get(_path(_link_in(mail.outbox[0].body)))
    assert page.context["refusal"]
    response = client.post(_path(_link_in(mail.outbox[0].body)))

    assert response.status_code == 200
    assert MerchantMember.objects.filter(user=account).count() == (
        1 if hasattr(account, "merchant_membership") else 0
    )
    assert StaffInvitation.objects.get().status == "pending"
