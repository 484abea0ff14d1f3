"""Webhook subscriptions, managed by superusers in the console, and the delivery of the
events recorded for them (webhooks/events.py).

Delivery claims one due delivery per transaction with SKIP LOCKED, so two workers never send
the same delivery at once, and marks it in the transaction that sent it: a worker killed
between the request and the commit sends it again later. A delivery may arrive twice (the
event id tells the receiver), never not at all unless given up.

Retries: a failed attempt is tried again after WEBHOOK_RETRY_SECONDS, doubling each time,
at most an hour apart, until a day after the event; then the delivery is given up. Order:
a delivery waits while an earlier delivery of the same complaint (its ordering key) to the
same subscription is still pending, so a receiver never hears of a later step first.
"""

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import Scope
from common.db import atomic_service
from outbox.services import queue_email

from . import encryption, events, signing
from .models import Delivery, DeliveryAttempt, Event, EventType, Subscription

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)
# A subscription whose deliveries have all failed for this long, without one success, is
# turned off: as long as a delivery is retried, so by then the first event was given up.
DISABLE_AFTER = timedelta(hours=24)
MAX_RETRY_DELAY = timedelta(hours=1)
# How long the delivery log keeps an event once every delivery of it is settled.
LOG_KEPT = timedelta(days=30)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
USER_AGENT = "DepositClaims-Webhooks/1"
# What scope a client needs for each family of events.
SCOPE_FOR_PREFIX = {
    "complaint.": Scope.COMPLAINTS_READ,
    "deposit.": Scope.COMPLAINTS_READ,
    "payout.": Scope.DISBURSEMENTS_WRITE,
}


def _check_superuser(actor) -> None:
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("Only a superuser manages webhooks."))


def checked_url(url: str) -> str:
    url = (url or "").strip()
    URLValidator(schemes=["https", "http"])(url)
    parts = urlsplit(url)
    local = (parts.hostname or "") in LOCAL_HOSTS
    if parts.scheme != "https" and not (local and settings.WEBHOOKS_ALLOW_LOCAL_HTTP):
        raise ValidationError(_("A webhook URL must use https."), code="https_required")
    if parts.username or parts.password:
        raise ValidationError(_("Leave the password out of the URL."), code="credentials")
    return url


def _scope_for(event_type: str) -> str:
    return next(s for prefix, s in SCOPE_FOR_PREFIX.items() if event_type.startswith(prefix))


def checked_event_types(client, event_types) -> list[str]:
    chosen = sorted(set(event_types))
    if not chosen:
        raise ValidationError(_("Choose at least one event."), code="no_event")
    unknown = [t for t in chosen if t not in EventType.values]
    if unknown:
        raise ValidationError(
            _("Unknown events: %(events)s."), code="unknown_event", params={"events": unknown}
        )
    refused = [t for t in chosen if not client.has_scope(_scope_for(t))]
    if refused:
        raise ValidationError(
            _("The client's scopes do not cover these events: %(events)s."),
            code="scope_missing",
            params={"events": ", ".join(refused)},
        )
    return chosen


def _new_secret() -> tuple[str, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, encryption.encrypt(secret)


@atomic_service
def create_subscription(
    *, actor, client, url: str, event_types: list[str]
) -> tuple[Subscription, str]:
    """A new active subscription, and its secret, to be shown once."""
    _check_superuser(actor)
    secret, encrypted = _new_secret()
    subscription = Subscription.objects.create(
        client=client,
        url=checked_url(url),
        event_types=checked_event_types(client, event_types),
        secret_encrypted=encrypted,
        created_by=actor,
    )
    events.forget_subscriptions()
    return subscription, secret


@atomic_service
def change_subscription(
    *, actor, subscription: Subscription, url: str, event_types
) -> Subscription:
    _check_superuser(actor)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.url = checked_url(url)
    subscription.event_types = checked_event_types(subscription.client, event_types)
    subscription.save(update_fields=["url", "event_types"])
    events.forget_subscriptions()
    return subscription


@atomic_service
def new_secret(*, actor, subscription: Subscription) -> str:
    """Replace the secret at once (after a leak): deliveries from now on are signed with it."""
    _check_superuser(actor)
    secret, encrypted = _new_secret()
    Subscription.objects.filter(pk=subscription.pk).update(secret_encrypted=encrypted)
    return secret


@atomic_service
def enable_subscription(*, actor, subscription: Subscription) -> Subscription:
    """Turn a subscription on again; it receives the events recorded from now on (earlier
    ones given up can be resent from the delivery log)."""
    _check_superuser(actor)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.is_active = True
    subscription.failing_since = None
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.save(
        update_fields=["is_active", "failing_since", "disabled_at", "disabled_reason"]
    )
    events.forget_subscriptions()
    return subscription


@atomic_service
def disable_subscription(
    *, actor, subscription: Subscription, now: datetime | None = None
) -> Subscription:
    _check_superuser(actor)
    now = now or timezone.now()
    reason = _("Turned off by %(user)s.") % {"user": actor.get_username()}
    _turn_off(subscription.pk, now, reason, only_failing=False)
    return Subscription.objects.get(pk=subscription.pk)


def _turn_off(subscription_id: int, now: datetime, reason: str, *, only_failing: bool) -> bool:
    """Turn the subscription off and give up what it had pending; False when it was off
    already (or, `only_failing`, has not failed for long enough)."""
    active = Subscription.objects.filter(pk=subscription_id, is_active=True)
    if only_failing:
        active = active.filter(failing_since__lte=now - DISABLE_AFTER)
    if not active.update(is_active=False, disabled_at=now, disabled_reason=reason):
        return False
    pending = Delivery.objects.filter(
        subscription_id=subscription_id, status=Delivery.Status.PENDING
    )
    if connection.features.has_select_for_update_skip_locked:
        # A delivery another worker is sending right now stays pending, and waits for the
        # subscription to be turned on again: waiting for its row here would deadlock with
        # that worker, which updates the subscription's row next.
        pending = Delivery.objects.filter(
            pk__in=list(pending.select_for_update(skip_locked=True).values_list("pk", flat=True))
        )
    pending.update(status=Delivery.Status.GIVEN_UP, given_up_at=now)
    events.forget_subscriptions()
    return True


@atomic_service
def resend(*, actor, deliveries, now: datetime | None = None) -> int:
    """Queue the deliveries again now, delivered or given up alike, with a new day of
    retries. A delivery of a subscription turned off waits until it is turned on."""
    _check_superuser(actor)
    now = now or timezone.now()
    count = Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        give_up_after=now + events.GIVE_UP_AFTER,
        delivered_at=None,
        given_up_at=None,
    )
    if count:
        transaction.on_commit(_start_delivery, robust=True)
    return count


def _start_delivery() -> None:
    from .tasks import deliver_webhooks

    deliver_webhooks.delay()


# --- delivery -----------------------------------------------------------------------------


def retry_delay(failed_attempts: int) -> timedelta:
    """Doubling from WEBHOOK_RETRY_SECONDS, at most an hour apart."""
    delay = timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** (failed_attempts - 1))
    return min(delay, MAX_RETRY_DELAY)


def body_of(event) -> bytes:
    """The JSON the receiver gets, byte for byte what is signed."""
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": events.moment(event.created_at),
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that is not 2xx: the delivery failed."""

    def redirect_request(self, *args, **kwargs):
        return None


# Direct connections only: a proxy from the environment would see every signed payload.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


class Answer(NamedTuple):
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(url: str, body: bytes, headers: dict) -> Answer:
    # The URL was checked to be https (or local http) when the subscription was saved.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    started = time.monotonic()
    status, error = None, ""
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as answer:
        status = answer.code
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"[:2000]
    return Answer(status, error, int((time.monotonic() - started) * 1000))


def _headers(delivery: Delivery, body: bytes, now: datetime) -> dict:
    secret = encryption.decrypt(delivery.subscription.secret_encrypted)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.EVENT_TYPE_HEADER: delivery.event.type,
        signing.SIGNATURE_HEADER: signing.signature_header(
            secret, body, timestamp=int(now.timestamp())
        ),
    }


def _claim_one(now: datetime) -> Delivery | None:
    earlier_pending = Delivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        ordering_key=OuterRef("ordering_key"),
        status=Delivery.Status.PENDING,
        id__lt=OuterRef("id"),
    )
    due = (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
            subscription__client__is_active=True,
        )
        .filter(~Exists(earlier_pending))
        .select_related("event", "subscription__client")
        .order_by("next_attempt_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return due.first()


class DeliveryRun(NamedTuple):
    delivered: int
    failed: int


def deliver_due(now: datetime | None = None) -> DeliveryRun:
    """Send every delivery due by `now`, one per transaction, until none is left."""
    delivered = failed = 0
    while True:
        with transaction.atomic():
            delivery = _claim_one(now or timezone.now())
            if delivery is None:
                return DeliveryRun(delivered, failed)
            if _attempt(delivery, now or timezone.now()):
                delivered += 1
            else:
                failed += 1


def _attempt(delivery: Delivery, now: datetime) -> bool:
    body = body_of(delivery.event)
    answer = _post(delivery.subscription.url, body, _headers(delivery, body, now))
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=answer.status_code,
        error=answer.error,
        duration_ms=answer.duration_ms,
    )
    subscription = Subscription.objects.filter(pk=delivery.subscription_id)
    if answer.succeeded:
        delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
        delivery.save(update_fields=["status", "delivered_at"])
        subscription.update(last_delivered_at=now, failing_since=None)
        return True
    delivery.attempts += 1
    if now >= delivery.give_up_after:
        delivery.status, delivery.given_up_at = Delivery.Status.GIVEN_UP, now
        logger.error(
            "webhooks: delivery %s given up after %s attempts", delivery.pk, delivery.attempts
        )
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=["status", "given_up_at", "attempts", "next_attempt_at"])
    subscription.update(failing_since=Coalesce("failing_since", now))
    logger.warning(
        "webhooks: delivery %s to subscription %s failed (attempt %s): %s",
        delivery.pk,
        delivery.subscription_id,
        delivery.attempts,
        answer.error or answer.status_code,
    )
    _turn_off_if_failing(delivery, answer, now)
    return False


def _turn_off_if_failing(delivery: Delivery, answer: Answer, now: datetime) -> None:
    subscription = delivery.subscription
    last_error = answer.error or _("HTTP status %(code)s") % {"code": answer.status_code}
    reason = _("Every delivery failed for 24 hours; the last one: %(error)s") % {
        "error": last_error
    }
    if not _turn_off(subscription.pk, now, reason, only_failing=True):
        return
    logger.error("webhooks: subscription %s turned off after failing for a day", subscription.pk)
    superusers = get_user_model().objects.filter(is_superuser=True, is_active=True)
    recipients = [subscription.client.contact_email] + [
        user.email_address for user in superusers if user.email_address
    ]
    queue_email(
        recipients,
        _("Webhook turned off: %(client)s") % {"client": subscription.client.name},
        _(
            "The platform turned off the webhook of %(client)s to %(url)s: every delivery "
            "to it has failed for 24 hours without one succeeding (the last: %(error)s). "
            "Its pending deliveries were given up.\n\n"
            "Fix the endpoint, then ask a platform superuser to turn the subscription on "
            "again in the console (Webhooks → Webhook subscriptions). Deliveries given up "
            "can be resent from the delivery log."
        )
        % {"client": subscription.client.name, "url": subscription.url, "error": last_error},
    )


def purge_log(now: datetime | None = None) -> int:
    """Delete events older than LOG_KEPT none of whose deliveries is pending, with their
    deliveries and attempts; returns how many events went."""
    cutoff = (now or timezone.now()) - LOG_KEPT
    old = Event.objects.filter(created_at__lt=cutoff).exclude(
        deliveries__status=Delivery.Status.PENDING
    )
    return old.delete()[1].get(Event._meta.label, 0)
