import pytest
from django.urls import reverse

from outbox.models import OutboundMessage
from tests.factories import ConsumerFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
RESET = reverse("accounts:password_reset")


@pytest.fixture
def post(client):
    return client.post


def queued(**filters) -> int:
    """Messages written to the outbox, to be sent once their transaction commits."""
    return OutboundMessage.objects.filter(**filters).count()


def test_one_address_gets_three_links_an_hour_and_then_the_same_answer_but_nothing(post):
    ConsumerFactory(username="often@example.com")
    answers = [post(RESET, {"identifier": "often@example.com"}) for _ in range(5)]

    assert {a.status_code for a in answers} == {302}
    assert {a.url for a in answers} == {reverse("accounts:link_sent")}
    assert queued(recipient="often@example.com") == 3


def test_a_mobile_number_gets_at_most_three_text_messages_an_hour(post):
    for _ in range(5):
        post(SIGNUP, {"identifier": "139 0000 3333"})
    assert queued(recipient="13900003333", channel="sms") == 3


def test_one_network_is_stopped_after_twenty_requests_an_hour(post):
    for n in range(20):
        assert post(SIGNUP, {"identifier": f"invented{n}@example.com"}).status_code == 302

    refused = post(SIGNUP, {"identifier": "one-more@example.com"}, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 429
    assert "Too many requests from your network" in refused.content.decode()
    assert queued() == 20


def test_another_network_is_not_held_back(post):
    for n in range(21):
        post(SIGNUP, {"identifier": f"invented{n}@example.com"})
    other = post(SIGNUP, {"identifier": "me@example.com"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


def test_behind_the_tls_proxy_the_address_is_its_last_hop(post, settings):
    settings.BEHIND_TLS_PROXY = True
    for n in range(20):
        post(
            RESET,
            {"identifier": f"x{n}@example.com"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9",  # the client forges the first
        )
    refused = post(RESET, {"identifier": "y@example.com"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert refused.status_code == 429


def test_set_password_attempts_from_one_network_are_limited(client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = ConsumerFactory()
    link = reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    form_page = client.get(link, follow=True).request["PATH_INFO"]
    weak = {"new_password1": "x", "new_password2": "y"}
    statuses = [client.post(form_page, weak).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
