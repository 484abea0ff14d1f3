from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import ConsumerFactory, PlatformUserFactory, SeniorReviewerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # the factories'
LOGIN = reverse("accounts:login")


def attempt(client, username, typed="not-the-right-one"):
    return client.post(LOGIN, {"username": username, "password": typed})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client):
    consumer = ConsumerFactory(username="13800138000", email="")
    for _ in range(4):
        assert attempt(client, "13800138000").status_code == 200
    assert attempt(client, "13800138000").status_code == 429  # the fifth locks it

    refused = attempt(client, "13800138000", PASSWORD)

    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert reverse("accounts:password_reset") in refused.content.decode()
    assert consumer.pk  # the account itself is untouched


def test_another_spelling_of_the_same_number_counts_against_the_same_account(client):
    ConsumerFactory(username="13800138000", email="")
    for spelling in (
        "138 0013 8000",
        "+86 13800138000",
        "138-0013-8000",
        "13800138000",
        "+8613800138000",
    ):
        attempt(client, spelling)
    assert attempt(client, "13800138000", PASSWORD).status_code == 429


def test_a_lockout_of_one_account_leaves_the_others_alone(client):
    ConsumerFactory(username="victim@example.com")
    other = ConsumerFactory(username="other@example.com")
    for _ in range(5):
        attempt(client, "victim@example.com")
    assert attempt(client, other.username, PASSWORD).status_code == 302


def test_an_unknown_account_is_locked_the_same_way_revealing_nothing(client):
    for _ in range(5):
        attempt(client, "nobody@example.com")
    assert attempt(client, "nobody@example.com").status_code == 429


def test_the_console_login_is_locked_too(client):
    reviewer = PlatformUserFactory(username="reviewer@example.com")
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(admin_login, {"username": reviewer.username, "password": "wrong"})
    response = client.post(admin_login, {"username": reviewer.username, "password": PASSWORD})
    assert response.status_code == 429


def test_the_cool_off_ends_and_grows_with_each_further_lockout(client, time_machine):
    ConsumerFactory(username="slow@example.com")
    for _ in range(5):
        attempt(client, "slow@example.com")
    time_machine.move_to(timezone.now() + timedelta(minutes=16))
    assert attempt(client, "slow@example.com", PASSWORD).status_code == 302
    client.logout()

    for _ in range(5):
        attempt(client, "slow@example.com")
    time_machine.move_to(timezone.now() + timedelta(minutes=20))
    assert attempt(client, "slow@example.com", PASSWORD).status_code == 429  # now 30 min
    # A try while locked starts the cool-off again.
    time_machine.move_to(timezone.now() + timedelta(minutes=29))
    assert attempt(client, "slow@example.com", PASSWORD).status_code == 429
    time_machine.move_to(timezone.now() + timedelta(minutes=31))
    assert attempt(client, "slow@example.com", PASSWORD).status_code == 302


def test_a_senior_reviewer_sees_the_lockout_and_lifts_it(client):
    ConsumerFactory(username="locked@example.com")
    for _ in range(5):
        attempt(client, "locked@example.com")
    senior = SeniorReviewerFactory()
    client.force_login(senior)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and "locked@example.com" in page.content.decode()
    in_chinese = client.get(changelist, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录锁定" in in_chinese and "登录尝试" in in_chinese and "失败次数" in in_chinese

    [lockout] = AccessAttempt.objects.filter(username="locked@example.com")
    client.post(
        changelist,
        {"action": "delete_selected", "index": 0, "_selected_action": [lockout.pk], "post": "yes"},
    )
    client.logout()

    assert not AccessAttempt.objects.filter(username="locked@example.com").exists()
    assert attempt(client, "locked@example.com", PASSWORD).status_code == 302


def test_a_plain_reviewer_does_not_see_the_lockouts(client):
    client.force_login(PlatformUserFactory())
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
