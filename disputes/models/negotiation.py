"""What the parties exchange while they negotiate: offers, messages, evidence, direct
payments."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.models import MONEY

from .complaint import ZERO, Complaint


class Offer(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the consumer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="offers", verbose_name=_("complaint")
    )
    refund = models.DecimalField(_("refund"), default=ZERO, **MONEY)
    compensation = models.DecimalField(_("compensation"), default=ZERO, **MONEY)
    note = models.TextField(_("note to the consumer"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    expires_at = models.DateTimeField(_("expires at"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(status="open"),
                name="offer_one_open_per_complaint",
            ),
            models.CheckConstraint(
                condition=Q(refund__gte=0)
                & Q(compensation__gte=0)
                & (Q(refund__gt=0) | Q(compensation__gt=0)),
                name="offer_pays_something",
            ),
        ]

    def __str__(self):
        return f"{self.complaint} · {self.total}"

    @property
    def total(self) -> Decimal:
        return self.refund + self.compensation


class Party(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    MERCHANT = "merchant", _("Merchant")
    PLATFORM = "platform", _("Platform")


class Message(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="messages", verbose_name=_("complaint")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal to the platform"), default=False)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(party="platform"),
                name="message_internal_only_platform",
            ),
        ]

    def __str__(self):
        return f"{self.complaint} · {self.get_party_display()}"


def evidence_path(instance, filename):
    """Stored under a random name: nothing of the uploader's file name reaches the disk."""
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{instance.extension}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        CHAT_LOG = "chat_log", _("Chat log")
        PAYMENT_VOUCHER = "payment_voucher", _("Payment voucher")
        LOGISTICS_RECORD = "logistics_record", _("Logistics record")
        AUTHENTICATION_REPORT = "authentication_report", _("Authentication report")
        OTHER = "other", _("Other")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("complaint")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    original_name = models.CharField(_("original file name"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # The settlement payment this file proves, if any: read from the complaint's evidence,
    # which every page prefetches already, so showing the proof costs no query of its own.
    direct_payment = models.ForeignKey(
        "DirectPayment",
        # Deleted only with its complaint, which takes the evidence along.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proof of the direct payment"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.complaint} · {self.get_kind_display()}"

    @property
    def extension(self) -> str:
        return {
            "image/jpeg": ".jpg",
            "image/png": ".png",
            "image/webp": ".webp",
            "application/pdf": ".pdf",
        }.get(self.content_type, "")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DirectPayment(models.Model):
    """The merchant's record of paying a settlement to the consumer directly, with proof.

    It changes no state: a settlement stays settled, and the consumer who was not paid
    still reports it (`reopen`) within the reopen window. One per complaint.
    """

    class Method(models.TextChoices):
        ALIPAY = "alipay", _("Alipay")
        BANK = "bank", _("Bank transfer")
        WECHAT = "wechat", _("WeChat Pay")
        OTHER = "other", _("Other")

    complaint = models.OneToOneField(
        Complaint,
        on_delete=models.CASCADE,
        related_name="direct_payment",
        verbose_name=_("complaint"),
    )
    amount = models.DecimalField(_("amount paid"), **MONEY)
    paid_at = models.DateTimeField(_("paid at"))
    method = models.CharField(_("payment method"), max_length=10, choices=Method.choices)
    reference = models.CharField(_("transaction reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("direct payment")
        verbose_name_plural = _("direct payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="direct_payment_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.complaint} · {self.amount}"

    @property
    def proof(self) -> list["Evidence"]:
        """The vouchers, from the complaint's (prefetched) evidence."""
        return [e for e in self.complaint.evidence.all() if e.direct_payment_id == self.pk]
