from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """One e-mail or text message to one recipient, written in the transaction of the change
    it reports and sent by a task after commit: a crash at any instant delays a message,
    never loses it."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    # A one-time link is a credential: its text is erased once delivered.
    sensitive = models.BooleanField(_("erase text once sent"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    send_after = models.DateTimeField(_("next attempt at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    gave_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after", "id"],
                condition=Q(sent_at__isnull=True, gave_up_at__isnull=True),
                name="outbound_pending",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sent_at__isnull=False, gave_up_at__isnull=False),
                name="outbound_sent_or_given_up",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"
