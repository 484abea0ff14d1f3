"""Who may call the integration API, and with which keys.

A client is one system of the marketplace's (its order system, a store's ERP, the payment
system). It acts through a service login of its own, so every service sees an ordinary
actor: a store's client is a staff member of that store with grants like any other, the
payment system's login holds the finance permission. Keys are stored only as digests.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORDERS_WRITE = "orders:write", _("Create and update orders")
    COMPLAINTS_READ = "complaints:read", _("Read the store's complaints")
    COMPLAINTS_WRITE = "complaints:write", _("Answer the store's complaints")
    DISBURSEMENTS_WRITE = "disbursements:write", _("Report payouts sent or failed")


# Scopes that act for one store and need a store binding.
STORE_SCOPES = frozenset({Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE})


class ApiClient(models.Model):
    name = models.CharField(_("client name"), max_length=100, unique=True)
    contact_email = models.EmailField(
        _("contact e-mail"), help_text=_("Told when the client's webhooks are turned off.")
    )
    scopes = models.JSONField(_("scopes"), default=list)
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name=_("store"),
        help_text=_("The store whose complaints this client reads and answers."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        verbose_name=_("acts as"),
        editable=False,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
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
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKey(models.Model):
    """One secret a client presents as `Authorization: Bearer <key>`. Only the prefix (to
    tell keys apart on screen) and the SHA-256 digest are kept: the key is random and long,
    so a slow hash would add nothing but time to every call."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="keys", verbose_name=_("client")
    )
    prefix = models.CharField(_("key starts with"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("Set when the key was rotated: the old key works until then."),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(expires_at__isnull=True),
                name="api_key_revoked_or_expiring",
            ),
        ]

    def __str__(self):
        return f"{self.prefix}…"


class ApiCall(models.Model):
    """One call a client made, kept for the console: who, what, how it ended, how long."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="calls", verbose_name=_("client")
    )
    key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        related_name="calls",
        verbose_name=_("key"),
    )
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    replayed = models.BooleanField(_("replayed"), default=False)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The console's list of one client's calls, newest first.
            models.Index(fields=["client", "-created_at"], name="api_call_client_recent"),
            models.Index(fields=["-created_at"], name="api_call_recent"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST a client sent with an `Idempotency-Key`, replayed for the
    same key. A record without a status is a request still running."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    request_digest = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(_("status"), null=True)
    response_body = models.BinaryField(default=b"")
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_once"),
        ]

    def __str__(self):
        return self.key
