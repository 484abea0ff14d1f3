"""The notification settings page: what reaches each person, how, and in which language."""

import pytest
from django.urls import reverse

from disputes import notifications
from tests.factories import ConsumerFactory
from tests.login import logs_in

pytestmark = pytest.mark.django_db

URL = reverse("disputes:notification_settings")


def _ticks(user, **changes):
    """Every box the page shows for `user` ticked, then `changes` applied."""
    data = {
        notifications.muted(topic, channel): "on"
        for topic in notifications.TOPICS
        for channel in notifications.channels_of(user)
    }
    data["language"] = "en"
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_the_page_shows_a_tick_per_topic_and_channel_the_account_can_receive(
    client, django_assert_max_num_queries
):
    buyer = ConsumerFactory(username="13800138000", email="buyer@example.com")
    client.force_login(buyer)
    client.cookies["django_language"] = "en"
    with django_assert_max_num_queries(6):
        page = client.get(URL).content.decode()
    assert "E-mail" in page and "Text message" in page
    assert 'name="action:sms"' in page and 'name="updates:email"' in page
    # A consumer has no daily digest to choose.
    assert "daily_digest" not in page


def test_a_consumer_turns_a_topic_off_and_chooses_english(client, consumer):
    client.force_login(consumer)
    response = client.post(URL, _ticks(consumer, **{"messages:email": None}), follow=True)
    consumer.refresh_from_db()
    assert consumer.muted_notices == ["messages:email"]
    assert consumer.language == "en"
    assert "Your notification settings are saved." in response.content.decode()
    assert client.cookies["django_language"].value == "en"


def test_turning_off_every_channel_for_what_needs_action_is_refused(client, consumer):
    client.force_login(consumer)
    client.cookies["django_language"] = "en"
    response = client.post(URL, _ticks(consumer, **{"action:email": None}))
    assert response.status_code == 200
    assert "Keep at least one way to hear what needs your action" in response.content.decode()
    consumer.refresh_from_db()
    assert consumer.muted_notices == [] and consumer.language == ""


def test_a_store_member_can_choose_the_daily_digest(client, store):
    client.force_login(store.owner)
    client.cookies["django_language"] = "en"
    assert "Send updates as one e-mail a day" in client.get(URL).content.decode()
    client.post(URL, _ticks(store.owner, daily_digest="on"))
    store.owner.refresh_from_db()
    assert store.owner.daily_digest and store.owner.digest_sent_at is not None


def test_a_consumer_posting_a_digest_gets_none(client, consumer):
    client.force_login(consumer)
    client.post(URL, _ticks(consumer, daily_digest="on"))
    consumer.refresh_from_db()
    assert not consumer.daily_digest


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_language_switch_is_remembered_for_a_logged_in_person(client, consumer):
    client.force_login(consumer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    consumer.refresh_from_db()
    assert consumer.language == "en"


def test_an_unknown_language_changes_nothing(client, consumer):
    client.force_login(consumer)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    consumer.refresh_from_db()
    assert consumer.language == ""


def test_logging_in_brings_back_the_language_chosen(client):
    buyer = ConsumerFactory(language="en")
    buyer.set_password("a long and fine password")
    buyer.save()
    assert logs_in(client, buyer.username, "a long and fine password")
    assert client.cookies["django_language"].value == "en"
