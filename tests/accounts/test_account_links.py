import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts import roles
from outbox import sms
from tests.factories import ConsumerFactory

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
    return re.search(r"https?://\S+/set-password/\S+/", text).group(0)


def _set_password(client, link, password=PASSWORD):
    form_page = client.get(link, follow=True)
    return client.post(
        form_page.request["PATH_INFO"], {"new_password1": password, "new_password2": password}
    )


def test_sign_up_by_email_creates_a_consumer_and_mails_a_set_password_link(
    client, post_and_deliver
):
    response = post_and_deliver(
        reverse("accounts:signup"), {"identifier": "Neo@Example.com", "display_name": "尼奥"}
    )
    assert response.url == reverse("accounts:link_sent")
    user = User.objects.get(username="neo@example.com")
    assert user.groups.filter(name=roles.CONSUMERS).exists()
    assert not user.has_usable_password()
    assert mail.outbox[0].to == ["neo@example.com"]
    assert _set_password(client, _link_in(mail.outbox[0].body)).url == reverse("accounts:login")
    assert client.login(username="NEO@example.com", password=PASSWORD)


def test_sign_up_by_mobile_sends_the_link_by_text_message(client, post_and_deliver):
    post_and_deliver(reverse("accounts:signup"), {"identifier": "139 0000 2222"})
    ((to, body),) = sms.outbox
    assert to == "13900002222"
    _set_password(client, _link_in(body))
    assert client.login(username="13900002222", password=PASSWORD)


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
    _set_password(client, _link_in(mail.outbox[0].body), "another-Long-pass-7")
    assert client.login(username="forgot@example.com", password="another-Long-pass-7")


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
