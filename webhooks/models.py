"""Webhooks: where an API client wants to hear of events, the events the platform recorded,
and each event's delivery to each subscription with every attempt made.

An event and its deliveries are written in the transaction of the change they report, and
sent by a task after commit (the outbox pattern, as `outbox` does for e-mail): nothing is
sent for a change that rolled back, nothing is lost after a change committed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    COMPLAINT_FILED = "complaint.filed", _("A complaint was filed")
    COMPLAINT_STATUS_CHANGED = "complaint.status_changed", _("A complaint changed state")
    COMPLAINT_REMINDER = "complaint.reminder", _("A deadline reminder was sent")
    COMPLAINT_DECIDED = "complaint.decided", _("The platform decided a complaint")
    PAYOUT_QUEUED = "payout.queued", _("A payout is ready to be sent")
    PAYOUT_AWAITING_ACCOUNT = "payout.awaiting_account", _("A payout waits for the payee's account")
    PAYOUT_SENT = "payout.sent", _("A payout was sent")
    PAYOUT_FAILED = "payout.failed", _("A payout failed")
    DEPOSIT_TOP_UP_REQUIRED = "deposit.top_up_required", _("The store must top up its deposit")
    DEPOSIT_RESTRICTED = "deposit.restricted", _("The store was restricted for a lapsed top-up")
    DEPOSIT_RESTRICTION_LIFTED = (
        "deposit.restriction_lifted",
        _("The store's restriction was lifted"),
    )
    DEPOSIT_CLAIM_PAID = "deposit.claim_paid", _("The deposit paid a consumer's claim")


class Subscription(models.Model):
    """An API client's endpoint and the events it wants. The secret signs every delivery;
    it is shown once, when made, and kept only encrypted (webhooks/encryption.py)."""

    client = models.ForeignKey(
        "api.ApiClient",
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("client"),
    )
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # The first failed attempt since the last delivered one: the subscription is turned off
    # once it has failed for DISABLE_AFTER without a single success.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_delivered_at = models.DateTimeField(_("last delivered at"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("turned off at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why it was turned off"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["client__name", "id"]

    def __str__(self):
        return f"{self.client} → {self.url}"


class Event(models.Model):
    """Something that happened, as every subscription that wanted it receives it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=50, choices=EventType.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    data = models.JSONField(_("data"))
    # Deliveries with the same key reach one subscription in the order they were recorded:
    # `complaint:TS…` for a complaint's events and payouts, `store:<id>` for deposit notices.
    ordering_key = models.CharField(_("ordering key"), max_length=100)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """One event to one subscription: pending until a 2xx answer, or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        GIVEN_UP = "given_up", _("Given up")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    ordering_key = models.CharField(_("ordering key"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # Failures after this instant give the delivery up (a day after it was made or resent).
    give_up_after = models.DateTimeField(_("tried until"))
    delivered_at = models.DateTimeField(_("received at"), null=True, blank=True)
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            # The earlier deliveries of the same complaint to the same subscription.
            models.Index(
                fields=["subscription", "ordering_key", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.event.type} → {self.subscription.url}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("webhook delivery"),
    )
    attempted_at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
