import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts import roles
from outbox import sms
from tests.factories import ConsumerFactory
from tests.login import logs_in

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-Pass-phrase-9"


@pytest.fixture
def post_and_deliver(client, django_capture_on_commit_callbacks):
    def post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def _link_in(text):
    return re.search(r"https?://\S+/(?:set-password|create)/\S+/", text).group(0)


def _set_password(client, link, password=PASSWORD):
    form_page = client.get(link, follow=True)
    return client.post(
        form_page.request["PATH_INFO"], {"new_password1": password, "new_password2": password}
    )


def test_sign_up_by_email_mails_a_link_that_creates_the_consumer_when_used(
    client, post_and_deliver
):
    response = post_and_deliver(
        reverse("accounts:signup"), {"identifier": "Neo@Example.com", "display_name": "尼奥"}
    )
    assert response.url == reverse("accounts:link_sent")
    assert not User.objects.exists()  # asking for a link writes no account
    assert mail.outbox[0].to == ["neo@example.com"]

    assert _set_password(client, _link_in(mail.outbox[0].body)).url == reverse("home")

    user = User.objects.get(username="neo@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)  # logged in, no second login
    client.logout()
    assert user.groups.filter(name=roles.CONSUMERS).exists()
    assert user.display_name == "尼奥"
    assert logs_in(client, "NEO@example.com", PASSWORD)


def test_sign_ups_for_invented_addresses_leave_no_account_behind(post_and_deliver):
    for n in range(5):
        post_and_deliver(reverse("accounts:signup"), {"identifier": f"made-up{n}@example.com"})
    assert not User.objects.exists()


def test_sign_up_never_changes_an_existing_account(post_and_deliver):
    imported = ConsumerFactory(username="imported@example.com", display_name="")
    imported.set_unusable_password()
    imported.save()

    post_and_deliver(
        reverse("accounts:signup"),
        {"identifier": "imported@example.com", "display_name": "平台客服，加微信 kf888"},
    )

    imported.refresh_from_db()
    assert imported.display_name == ""
    assert "/set-password/" in mail.outbox[0].body  # the owner's own link to claim it


def test_a_forged_or_altered_create_link_is_refused(client, post_and_deliver):
    post_and_deliver(reverse("accounts:signup"), {"identifier": "real@example.com"})
    link = _link_in(mail.outbox[0].body)
    signature_end = link[-3]
    altered = link[:-3] + ("A" if signature_end != "A" else "B") + link[-2:]
    page = client.get(altered)
    assert page.status_code == 200 and page.context["validlink"] is False
    response = client.post(altered, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.context["validlink"] is False
    assert not User.objects.exists()


def test_a_create_link_expires_with_the_password_links(client, post_and_deliver, settings):
    post_and_deliver(reverse("accounts:signup"), {"identifier": "late@example.com"})
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert client.get(_link_in(mail.outbox[0].body)).context["validlink"] is False


def test_sign_up_by_mobile_sends_the_link_by_text_message(client, post_and_deliver):
    post_and_deliver(reverse("accounts:signup"), {"identifier": "139 0000 2222"})
    ((to, body),) = sms.outbox
    assert to == "13900002222"
    _set_password(client, _link_in(body))
    assert logs_in(client, "13900002222", PASSWORD)


def test_a_set_password_link_works_only_once(client, post_and_deliver):
    post_and_deliver(reverse("accounts:signup"), {"identifier": "once@example.com"})
    link = _link_in(mail.outbox[0].body)
    _set_password(client, link)
    assert (
        b"expired" in client.get(link, follow=True).content
        or "已失效".encode() in client.get(link, follow=True).content
    )


def test_signing_up_with_a_claimed_account_sends_a_reset_link_not_a_new_account(post_and_deliver):
    ConsumerFactory(username="taken@example.com")
    post_and_deliver(reverse("accounts:signup"), {"identifier": "taken@example.com"})
    assert User.objects.filter(username="taken@example.com").count() == 1
    assert len(mail.outbox) == 1


def test_password_reset_for_an_unknown_account_reveals_nothing_and_creates_nothing(
    post_and_deliver,
):
    response = post_and_deliver(reverse("accounts:password_reset"), {"identifier": "ghost@x.com"})
    assert response.url == reverse("accounts:link_sent")
    assert not User.objects.filter(username="ghost@x.com").exists()
    assert mail.outbox == []


def test_password_reset_sends_a_working_link(client, post_and_deliver):
    ConsumerFactory(username="forgot@example.com")
    post_and_deliver(reverse("accounts:password_reset"), {"identifier": "forgot@example.com"})
    set_ = _set_password(client, _link_in(mail.outbox[0].body), "another-Long-pass-7")
    assert set_.url == reverse("home")
    assert client.session["_auth_user_id"] == str(
        User.objects.get(username="forgot@example.com").pk
    )
    client.logout()
    assert logs_in(client, "forgot@example.com", "another-Long-pass-7")


@pytest.mark.parametrize("identifier", ["", "12345", "not-an-email@", "23800138000"])
def test_a_malformed_identifier_is_refused_with_a_message(client, identifier):
    response = client.post(reverse("accounts:signup"), {"identifier": identifier})
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"]
    assert User.objects.count() == 0


def test_login_accepts_the_mobile_number_in_any_spelling(client):
    ConsumerFactory(username="13800138000", password=PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "+86 138-0013-8000", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_wrong_password_is_refused(client):
    ConsumerFactory(username="me@example.com", password=PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "me@example.com", "password": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
