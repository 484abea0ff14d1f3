import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from deposit_claims.console import ConsoleSite
from tests.factories import (
    ConsumerFactory,
    FinanceUserFactory,
    MerchantMemberFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)
from tests.login import app_code, logs_in

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # the factories'
CONSOLE = reverse("admin:index")
SECOND_STEP = reverse("accounts:two_factor")
RECOVERY = reverse("accounts:recovery_codes")


@pytest.fixture
def client(client):
    """Pages in English, the language these tests read them in."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def frozen(time_machine):
    """TOTP codes follow the clock: hold it still, and move it a step on when asked."""
    time_machine.move_to(timezone.now(), tick=False)

    def next_step():
        time_machine.move_to(timezone.now() + timedelta(seconds=30), tick=False)

    return next_step


def console_users():
    return {
        "reviewer": PlatformUserFactory(),
        "senior reviewer": SeniorReviewerFactory(),
        "finance": FinanceUserFactory(),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def enrol(client) -> list[str]:
    """Set up the app through the enrolment page; the recovery codes it shows."""
    client.get(SECOND_STEP)
    device = TOTPDevice.objects.get(confirmed=False)
    shown = client.post(SECOND_STEP, {"code": app_code(device)})
    assert shown.status_code == 200
    return re.findall(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4})</code>", shown.content.decode())


# --- who must pass it ---


@pytest.mark.parametrize("role", ["reviewer", "senior reviewer", "finance", "superuser"])
def test_a_password_alone_opens_no_console_page_to_any_console_role(client, role):
    user = console_users()[role]
    assert logs_in(client, user.username, PASSWORD)

    for path in (CONSOLE, "/admin/disputes/complaint/", "/", "/admin/accounts/user/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(SECOND_STEP), path


def test_a_post_to_the_console_with_a_password_alone_changes_nothing(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    consumer = ConsumerFactory(is_active=True)
    assert logs_in(client, superuser.username, PASSWORD)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [consumer.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert response.url.startswith(SECOND_STEP)
    consumer.refresh_from_db()  # still there


def test_the_console_itself_refuses_an_unverified_staff_request_whatever_the_middleware():
    reviewer = PlatformUserFactory()
    request = RequestFactory().get(CONSOLE)
    request.user = reviewer
    reviewer.is_verified = lambda: False
    assert not ConsoleSite().has_permission(request)
    reviewer.is_verified = lambda: True
    assert ConsoleSite().has_permission(request)
    del reviewer.is_verified  # no OTP middleware ran at all
    assert not ConsoleSite().has_permission(request)
    request.user = AnonymousUser()
    assert not ConsoleSite().has_permission(request)


def test_consumers_and_merchants_never_meet_the_second_step(client):
    consumer = ConsumerFactory()
    seller = MerchantMemberFactory(role="owner").user
    for user, page in (
        (consumer, reverse("disputes:consumer_complaints")),
        (seller, reverse("disputes:seller_overview")),
    ):
        client = Client()
        assert logs_in(client, user.username, PASSWORD)
        assert client.get(page).status_code == 200
        assert client.get(SECOND_STEP).url == reverse("home")
        assert client.get(reverse("accounts:two_factor_qr")).status_code == 404
        assert client.get(RECOVERY).status_code == 404


def test_an_unverified_console_user_can_still_log_out(client):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


# --- enrolment at the first login ---


def test_the_first_login_enrols_the_app_then_opens_the_console(client, frozen):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)

    page = client.get(SECOND_STEP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    typed_key = re.search(r'class="secret-key">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    assert len(typed_key.replace(" ", "")) == 32  # the 20-byte key, base32
    qr = client.get(reverse("accounts:two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    assert page["Cache-Control"].startswith("max-age=0")

    shown = client.post(SECOND_STEP, {"code": app_code(device)})

    assert shown.status_code == 200
    codes = re.findall(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4})</code>", shown.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(CONSOLE).status_code == 200
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 404  # never again


def test_a_wrong_code_at_enrolment_enrols_nothing(client, frozen):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)
    client.get(SECOND_STEP)

    refused = client.post(SECOND_STEP, {"code": "000000"})

    assert refused.status_code == 200
    assert "That code is not right" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    assert not StaticToken.objects.filter(device__user=reviewer).exists()
    assert client.get(CONSOLE).url.startswith(SECOND_STEP)


def test_reloading_the_enrolment_page_keeps_the_key_being_scanned(client):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)
    first = client.get(SECOND_STEP).content
    again = client.get(SECOND_STEP).content
    key = re.compile(rb'class="secret-key">([A-Z2-7 ]+)<')
    assert key.search(first).group(1) == key.search(again).group(1)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


# --- every later login ---


def test_a_later_login_asks_for_the_apps_code_and_returns_where_it_was_headed(client, frozen):
    reviewer = PlatformUserFactory()
    device = enrolled(reviewer)
    assert logs_in(client, reviewer.username, PASSWORD)
    headed = "/admin/disputes/complaint/"
    asked = client.get(headed)
    page = client.get(asked.url)
    assert "secret-key" not in page.content.decode()  # no key is shown once enrolled
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 404
    session_before = client.session.session_key

    passed = client.post(SECOND_STEP, {"code": app_code(device), "next": headed})

    assert passed.url == headed
    assert client.session.session_key != session_before
    assert client.get(headed).status_code == 200


def test_after_the_second_step_a_link_elsewhere_goes_to_the_console_instead(client, frozen):
    reviewer = PlatformUserFactory()
    device = enrolled(reviewer)
    assert logs_in(client, reviewer.username, PASSWORD)

    passed = client.post(
        SECOND_STEP, {"code": app_code(device), "next": "https://evil.example/admin/"}
    )

    assert passed.url == CONSOLE


def test_an_apps_code_works_once(client, frozen):
    reviewer = PlatformUserFactory()
    device = enrolled(reviewer)
    code = app_code(device)
    assert logs_in(client, reviewer.username, PASSWORD)
    assert client.post(SECOND_STEP, {"code": code}).status_code == 302

    other = Client()
    assert logs_in(other, reviewer.username, PASSWORD)
    replayed = other.post(SECOND_STEP, {"code": code})

    assert replayed.status_code == 200
    assert other.get(CONSOLE).status_code == 302
    frozen()
    assert other.post(SECOND_STEP, {"code": app_code(device)}).status_code == 302


def test_wrong_codes_slow_the_next_tries_down(client, frozen):
    reviewer = PlatformUserFactory()
    device = enrolled(reviewer)
    assert logs_in(client, reviewer.username, PASSWORD)
    for _ in range(3):
        client.post(SECOND_STEP, {"code": "123456"})
        frozen()  # 30 s: past the 1 s, 2 s and 4 s waits

    client.post(SECOND_STEP, {"code": "123456"})  # the fourth: 8 s to wait
    too_soon = client.post(SECOND_STEP, {"code": app_code(device)})

    assert "Too many wrong codes. Try again in 8 seconds." in too_soon.content.decode()
    client.cookies["django_language"] = "zh-hans"
    in_chinese = client.post(SECOND_STEP, {"code": app_code(device)})
    assert "错误次数太多，请 8 秒后再试。" in in_chinese.content.decode()
    assert client.get(CONSOLE).status_code == 302
    frozen()
    assert client.post(SECOND_STEP, {"code": app_code(device)}).status_code == 302


def test_a_code_of_another_console_user_is_refused(client, frozen):
    reviewer, other = PlatformUserFactory(), PlatformUserFactory()
    enrolled(reviewer)
    others_device = enrolled(other)
    assert logs_in(client, reviewer.username, PASSWORD)

    assert client.post(SECOND_STEP, {"code": app_code(others_device)}).status_code == 200
    assert client.get(CONSOLE).status_code == 302


# --- recovery codes ---


def test_a_recovery_code_stands_in_for_the_app_once(client, frozen):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)
    codes = enrol(client)
    client.post(reverse("accounts:logout"))

    assert logs_in(client, reviewer.username, PASSWORD)
    typed = " " + codes[0].lower() + " "  # as typed from paper: any case, stray spaces
    assert client.post(SECOND_STEP, {"code": typed}).url == CONSOLE
    client.post(reverse("accounts:logout"))

    assert logs_in(client, reviewer.username, PASSWORD)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 200  # used up
    frozen()  # past the wait a wrong code sets
    assert client.post(SECOND_STEP, {"code": codes[1].replace("-", "")}).url == CONSOLE


def test_new_recovery_codes_replace_every_earlier_one(client, frozen):
    reviewer = PlatformUserFactory()
    assert logs_in(client, reviewer.username, PASSWORD)
    old = enrol(client)
    assert "You have 10 unused recovery codes." in client.get(RECOVERY).content.decode()

    page = client.post(RECOVERY)
    new = re.findall(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4})</code>", page.content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("accounts:logout"))
    assert logs_in(client, reviewer.username, PASSWORD)
    assert client.post(SECOND_STEP, {"code": old[0]}).status_code == 200
    frozen()  # past the wait a wrong code sets
    assert client.post(SECOND_STEP, {"code": new[0]}).url == CONSOLE


def test_the_console_links_to_the_recovery_codes(client):
    client.force_login(PlatformUserFactory())
    assert RECOVERY in client.get(CONSOLE).content.decode()


# --- a lost phone ---


def test_resetting_a_lost_phone_sends_even_a_live_session_back_to_enrolment(client, frozen):
    reviewer = PlatformUserFactory(username="li.wei@platform.test")
    assert logs_in(client, reviewer.username, PASSWORD)
    enrol(client)
    assert client.get(CONSOLE).status_code == 200
    out = io.StringIO()

    call_command("reset_two_factor", "LI.WEI@platform.test", stdout=out)

    assert "li.wei@platform.test" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticToken.objects.filter(device__user=reviewer).exists()
    asked = client.get(CONSOLE)
    assert asked.url.startswith(SECOND_STEP)
    assert "secret-key" in client.get(asked.url).content.decode()


def test_resetting_names_a_superuser_by_login_name_and_refuses_an_unknown_one():
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    enrolled(admin)
    call_command("reset_two_factor", "admin", stdout=io.StringIO())
    assert not TOTPDevice.objects.filter(user=admin).exists()

    out = io.StringIO()
    call_command("reset_two_factor", "admin", stdout=out)
    assert "nothing changed" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("reset_two_factor", "nobody@platform.test", stdout=io.StringIO())


def test_the_second_steps_devices_are_not_in_the_console(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    index = client.get(CONSOLE).content.decode()
    assert "otp_totp" not in index and "otp_static" not in index
