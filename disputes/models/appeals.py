"""Either party's one appeal against a decision."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.models import MONEY

from .complaint import Complaint
from .negotiation import Party


class Appeal(models.Model):
    """Either party's one appeal; the other party responds; a senior reviewer resolves it."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Decision upheld")
        REVISED_UP = "revised_up", _("Award raised")
        REVISED_DOWN = "revised_down", _("Award lowered")

    complaint = models.OneToOneField(
        Complaint,
        on_delete=models.CASCADE,
        related_name="appeal_record",
        verbose_name=_("complaint"),
    )
    party = models.CharField(
        _("appealed by"),
        max_length=10,
        choices=[(Party.CONSUMER, Party.CONSUMER.label), (Party.MERCHANT, Party.MERCHANT.label)],
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("appellant"),
    )
    reason = models.TextField(_("grounds"))
    created_at = models.DateTimeField(_("appealed at"), default=timezone.now)
    response_due_at = models.DateTimeField(_("response due by"))
    response = models.TextField(_("the other party's response"), blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    # Who answered for the other party: a store's staff member is named on the timeline.
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responded by"),
    )
    response_lapsed = models.BooleanField(_("no response in time"), default=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    new_total = models.DecimalField(_("award after the appeal"), null=True, blank=True, **MONEY)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        # The appeals a party still has to answer: a store's overview looks them up.
        indexes = [
            models.Index(
                fields=["complaint"],
                condition=Q(responded_at__isnull=True, response_lapsed=False),
                name="appeal_awaiting_response",
            )
        ]

    def __str__(self):
        return f"{self.complaint} · {self.get_party_display()}"

    @property
    def ready_for_resolution(self) -> bool:
        return self.responded_at is not None or self.response_lapsed
