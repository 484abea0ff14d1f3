"""Deliveries: signed, retried with a doubling delay for a day, in order per complaint, and
a subscription that keeps failing is turned off with a notice."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox.models import OutboundMessage
from webhooks import events, services, signing
from webhooks.models import Delivery, EventType, Subscription

from .conftest import store_client, subscribe

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


@pytest.fixture
def subscription_and_secret(superuser, store, receiver):
    return subscribe(superuser, store_client(superuser, store.merchant), url=receiver.url)


def record(number="TS1", at=None):
    """An event of complaint `number` for the store's subscription."""
    return events.record(
        EventType.COMPLAINT_REMINDER,
        data={"complaint": number},
        ordering_key=events.complaint_key(number),
        merchant_id=Subscription.objects.get().client.merchant_id,
        at=at,
    )


def independent_check(secret: str, body: bytes, header: str) -> int:
    """What a receiver writes without our module: parse, recompute, compare."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    return int(fields["t"])


def test_a_delivery_is_signed_over_the_timestamp_and_the_raw_body(
    subscription_and_secret, receiver
):
    _subscription, secret = subscription_and_secret
    event = record(number="TS2", at=timezone.now())
    now = timezone.now()

    assert services.deliver_due(now=now) == (1, 0)

    (received,) = receiver.received
    assert independent_check(secret, received.body, received.headers["X-Claims-Signature"]) == int(
        now.timestamp()
    )
    assert received.headers["X-Claims-Event-Id"] == str(event.id)
    payload = json.loads(received.body)
    assert payload == {
        "id": str(event.id),
        "type": "complaint.reminder",
        "created_at": payload["created_at"],
        "data": {"complaint": "TS2"},
    }
    assert payload["created_at"].endswith("+00:00")


def test_the_reference_check_refuses_a_changed_body_another_secret_and_a_replay():
    body, secret, t = b'{"id":"1"}', "whsec_test", 1_800_000_000
    header = signing.signature_header(secret, body, timestamp=t)

    signing.verify(secret, body, header, now=t + 299)
    for args, now in [
        ((secret, b'{"id":"2"}', header), t),
        (("whsec_other", body, header), t),
        ((secret, body, header), t + 301),
        ((secret, body, "v1=" + header.split("v1=")[1]), t),
    ]:
        with pytest.raises(signing.InvalidSignature):
            signing.verify(*args, now=now)


def test_a_failed_delivery_is_retried_later_and_each_attempt_is_logged(
    subscription_and_secret, receiver, settings
):
    settings.WEBHOOK_RETRY_SECONDS = 30
    t0 = timezone.now()
    record(at=t0)
    receiver.answers = [500, 500]

    assert services.deliver_due(now=t0) == (0, 1)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "pending",
        1,
        t0 + 30 * SECOND,
    )
    assert services.deliver_due(now=t0 + 29 * SECOND) == (0, 0)
    assert services.deliver_due(now=t0 + 30 * SECOND) == (0, 1)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == t0 + 90 * SECOND
    assert services.deliver_due(now=t0 + 90 * SECOND) == (1, 0)

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at == t0 + 90 * SECOND
    log = list(delivery.attempt_log.order_by("attempted_at"))
    assert [a.status_code for a in log] == [500, 500, 200]
    assert all(a.duration_ms >= 0 and a.error == "" for a in log)
    assert len(receiver.received) == 3


def test_the_delay_doubles_up_to_an_hour(settings):
    settings.WEBHOOK_RETRY_SECONDS = 30
    delays = [services.retry_delay(n).total_seconds() for n in range(1, 11)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_receiver_out_of_reach_is_an_attempt_with_its_error(superuser, store):
    subscribe(superuser, store_client(superuser, store.merchant), url="http://127.0.0.1:9/x")
    record(at=timezone.now())

    services.deliver_due(now=timezone.now())

    attempt = Delivery.objects.get().attempt_log.get()
    assert attempt.status_code is None and "Error" in attempt.error


def test_a_later_event_of_a_complaint_waits_for_the_earlier_one(subscription_and_secret, receiver):
    t0 = timezone.now()
    first, second = record("TS1", at=t0), record("TS1", at=t0)
    other = record("TS9", at=t0)
    receiver.answers = [500]

    services.deliver_due(now=t0)

    # The first failed; the second of the same complaint waits, the other complaint's goes.
    assert [r["id"] for r in receiver.events()] == [str(first.id), str(other.id)]
    services.deliver_due(now=t0 + timedelta(minutes=5))
    assert [r["id"] for r in receiver.events()][2:] == [str(first.id), str(second.id)]


def test_a_delivery_failing_for_a_day_is_given_up_and_the_next_one_goes(
    subscription_and_secret, receiver
):
    t0 = timezone.now()
    first, second = record("TS1", at=t0), record("TS1", at=t0 + SECOND)
    receiver.refused = {str(first.id)}

    now, rounds = t0, 0
    while Delivery.objects.get(event=first).status == "pending":
        # Another complaint's event gets through now and then: the endpoint works, so the
        # subscription stays on while this one delivery keeps failing.
        record("TS7", at=now)
        services.deliver_due(now=now)
        now, rounds = Delivery.objects.get(event=first).next_attempt_at, rounds + 1
    given_up = Delivery.objects.get(event=first)

    assert given_up.status == "given_up"
    assert t0 + timedelta(hours=24) <= given_up.given_up_at < t0 + timedelta(hours=25)
    assert rounds == given_up.attempts == 31  # 7 doublings to an hour, then hourly
    assert Subscription.objects.get().is_active
    # The second of the complaint went once, after the first's last attempt.
    sent = [r["id"] for r in receiver.events()]
    last_of_first = len(sent) - 1 - sent[::-1].index(str(first.id))
    assert sent.count(str(second.id)) == 1
    assert sent.index(str(second.id)) > last_of_first
    assert Delivery.objects.get(event=second).status == "delivered"


def test_a_subscription_failing_for_a_day_is_turned_off_and_everyone_is_told(
    subscription_and_secret, receiver, superuser, store
):
    subscription, _secret = subscription_and_secret
    t0 = timezone.now()
    record("TS1", at=t0)
    record("TS2", at=t0)
    receiver.answers = [503] * 100

    services.deliver_due(now=t0)
    services.deliver_due(now=t0 + timedelta(hours=23))
    assert Subscription.objects.get().is_active
    services.deliver_due(now=t0 + timedelta(hours=24))

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at == t0 + timedelta(hours=24)
    assert "503" in subscription.disabled_reason
    assert set(Delivery.objects.values_list("status", flat=True)) == {"given_up"}
    notices = OutboundMessage.objects.filter(subject__startswith="Webhook turned off")
    assert set(notices.values_list("recipient", flat=True)) == {
        subscription.client.contact_email,
        superuser.email_address,
    }
    assert subscription.url in notices.first().body
    # Nothing more is recorded for it until a superuser turns it on again.
    assert record("TS3") is None
    services.enable_subscription(actor=superuser, subscription=subscription)
    assert record("TS3") is not None


def test_a_commit_starts_the_delivery(
    subscription_and_secret, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record("TS1")
    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == "delivered"


def test_resending_queues_a_delivered_event_again(subscription_and_secret, receiver, superuser):
    record("TS1", at=timezone.now())
    services.deliver_due(now=timezone.now())
    delivery = Delivery.objects.get()

    assert services.resend(actor=superuser, deliveries=[delivery]) == 1
    services.deliver_due(now=timezone.now())

    assert len(receiver.received) == 2
    assert receiver.events()[0] == receiver.events()[1]
    assert delivery.attempt_log.count() == 2
    assert not mail.outbox


@pytest.mark.postgres
def test_two_workers_at_once_send_each_delivery_once_and_in_order(
    superuser, store, receiver, monkeypatch
):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    from webhooks import tasks

    monkeypatch.setattr(tasks.deliver_webhooks, "delay", lambda: None)  # the workers deliver
    subscribe(superuser, store_client(superuser, store.merchant), url=receiver.url)
    recorded = [record(f"TS{n % 4}") for n in range(40)]
    barrier = Barrier(2)

    def worker():
        barrier.wait()
        try:
            return services.deliver_due().delivered
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        delivered = [f.result() for f in [pool.submit(worker), pool.submit(worker)]]

    assert sum(delivered) == 40
    sent = [r["id"] for r in receiver.events()]
    assert sorted(sent) == sorted(str(e.id) for e in recorded)
    for number in range(4):
        of_complaint = [str(e.id) for e in recorded if e.data["complaint"] == f"TS{number}"]
        assert [i for i in sent if i in of_complaint] == of_complaint


def test_nothing_more_goes_to_a_client_turned_inactive(subscription_and_secret, receiver):
    subscription, _secret = subscription_and_secret
    record("TS1", at=timezone.now())
    subscription.client.is_active = False
    subscription.client.save(update_fields=["is_active"])

    assert services.deliver_due(now=timezone.now()) == (0, 0)
    assert receiver.received == []


def test_the_log_forgets_settled_events_after_30_days(subscription_and_secret, receiver):
    t0 = timezone.now()
    delivered, pending = record("TS1", at=t0), record("TS2", at=t0)
    receiver.refused = {str(pending.id)}
    services.deliver_due(now=t0)

    assert services.purge_log(now=t0 + timedelta(days=29)) == 0
    assert services.purge_log(now=t0 + timedelta(days=31)) == 1
    assert list(Delivery.objects.values_list("event_id", flat=True)) == [pending.id]
    assert not Delivery.objects.filter(event_id=delivered.id).exists()
