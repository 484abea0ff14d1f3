"""The console's webhook pages: superusers only; the secret shown once; the delivery log
with its attempts and the resend action."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PlatformUserFactory
from webhooks import encryption, events, services
from webhooks.models import Delivery, EventType, Subscription

from .conftest import store_client, subscribe

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = reverse("admin:webhooks_subscription_changelist")
ADD = reverse("admin:webhooks_subscription_add")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")


@pytest.fixture
def delivered(superuser, store, receiver):
    subscribe(superuser, store_client(superuser, store.merchant), url=receiver.url)
    events.record(
        EventType.COMPLAINT_REMINDER,
        data={"complaint": "TS1"},
        ordering_key=events.complaint_key("TS1"),
        merchant_id=store.merchant.pk,
    )
    services.deliver_due(now=timezone.now())
    return Delivery.objects.get()


def test_a_superuser_adds_a_subscription_and_sees_its_secret_once(admin_client, superuser, store):
    client = store_client(superuser, store.merchant)
    assert admin_client.get(ADD).status_code == 200

    page = admin_client.post(
        ADD,
        {
            "client": client.pk,
            "url": "https://erp.store.test/hooks",
            "event_types": [EventType.COMPLAINT_STATUS_CHANGED, EventType.DEPOSIT_RESTRICTED],
        },
    )

    assert page.status_code == 200
    subscription = Subscription.objects.get()
    secret = encryption.decrypt(subscription.secret_encrypted)
    assert secret.startswith("whsec_") and secret in page.content.decode()
    assert secret not in subscription.secret_encrypted
    change = reverse("admin:webhooks_subscription_change", args=[subscription.pk])
    shown_again = admin_client.get(change)
    assert shown_again.status_code == 200 and secret not in shown_again.content.decode()


def test_plain_http_and_events_beyond_the_clients_scopes_are_refused(
    admin_client, superuser, store, settings
):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    client = store_client(superuser, store.merchant)

    page = admin_client.post(
        ADD,
        {"client": client.pk, "url": "http://127.0.0.1/hooks", "event_types": ["payout.sent"]},
    )

    assert page.status_code == 200
    errors = page.context["adminform"].form.non_field_errors()
    assert "https" in str(errors)
    page = admin_client.post(
        ADD,
        {"client": client.pk, "url": "https://erp.test/h", "event_types": ["payout.sent"]},
    )
    assert "payout.sent" in str(page.context["adminform"].form.non_field_errors())
    assert not Subscription.objects.exists()


def test_the_delivery_log_shows_each_attempt_and_resends(
    admin_client, delivered, receiver, django_capture_on_commit_callbacks
):
    assert admin_client.get(SUBSCRIPTIONS).status_code == 200
    assert admin_client.get(DELIVERIES).status_code == 200
    page = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivered.pk]))
    assert page.status_code == 200
    assert "complaint.reminder" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            DELIVERIES, {"action": "resend", "_selected_action": [delivered.pk]}
        )

    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert delivered.attempt_log.count() == 2


def test_a_superuser_turns_a_subscription_off_and_on(admin_client, delivered):
    subscription = delivered.subscription
    admin_client.post(SUBSCRIPTIONS, {"action": "turn_off", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None

    admin_client.post(SUBSCRIPTIONS, {"action": "turn_on", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None


def test_other_staff_are_refused_every_page(delivered):
    browser = Client()
    browser.force_login(PlatformUserFactory())
    for url in [
        SUBSCRIPTIONS,
        ADD,
        reverse("admin:webhooks_subscription_change", args=[delivered.subscription_id]),
        DELIVERIES,
        reverse("admin:webhooks_delivery_change", args=[delivered.pk]),
    ]:
        assert browser.get(url).status_code == 403, url
    browser.post(DELIVERIES, {"action": "resend", "_selected_action": [delivered.pk]})
    assert delivered.attempt_log.count() == 1


def test_a_superuser_changes_the_url_and_events_and_replaces_the_secret(admin_client, delivered):
    subscription = delivered.subscription
    old_secret = encryption.decrypt(subscription.secret_encrypted)
    change = reverse("admin:webhooks_subscription_change", args=[subscription.pk])

    response = admin_client.post(
        change, {"url": "https://erp.store.test/v2", "event_types": ["complaint.decided"]}
    )
    assert response.status_code == 302
    page = admin_client.post(
        SUBSCRIPTIONS, {"action": "replace_secret", "_selected_action": [subscription.pk]}
    )

    subscription.refresh_from_db()
    assert subscription.url == "https://erp.store.test/v2"
    assert subscription.event_types == ["complaint.decided"]
    new_secret = encryption.decrypt(subscription.secret_encrypted)
    assert new_secret != old_secret and new_secret in page.content.decode()
