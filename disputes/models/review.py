"""The platform's review: information requests, decisions, their award lines, strikes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from merchants.models import MONEY

from .appeals import Appeal
from .complaint import ZERO, Complaint
from .negotiation import Evidence, Party


class ConsumerStrike(models.Model):
    """A complaint rejected as malicious; two within 12 months restrict filing for 90 days."""

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="strikes",
        verbose_name=_("consumer"),
    )
    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="strike", verbose_name=_("complaint")
    )
    created_at = models.DateTimeField(_("given at"), default=timezone.now)
    removed_at = models.DateTimeField(
        _("removed at"),
        null=True,
        blank=True,
        help_text=_("Set when an appeal overturns the rejection."),
    )

    class Meta:
        verbose_name = _("consumer strike")
        verbose_name_plural = _("consumer strikes")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.consumer} · {self.complaint}"


class InfoRequest(models.Model):
    """The reviewer asks one party for more material, with a deadline; one open per party."""

    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        related_name="info_requests",
        verbose_name=_("complaint"),
    )
    party = models.CharField(
        _("asked"),
        max_length=10,
        choices=[(Party.CONSUMER, Party.CONSUMER.label), (Party.MERCHANT, Party.MERCHANT.label)],
    )
    question = models.TextField(_("what is needed"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked by"),
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "party"],
                condition=Q(answered_at__isnull=True, lapsed_at__isnull=True),
                name="info_request_one_open_per_party",
            ),
        ]

    def __str__(self):
        return f"{self.complaint} · {self.get_party_display()}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.lapsed_at is None


class Decision(models.Model):
    """The platform's ruling: itemised, explained, and (above the threshold) approved."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")
        REJECTED_MALICIOUS = "rejected_malicious", _("Rejected as malicious")

    class ReasonCode(models.TextChoices):
        RULE_BROKEN = "rule_broken", _("The merchant broke the rule claimed")
        PARTLY_PROVEN = "partly_proven", _("The loss is only partly proven")
        INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("The evidence is insufficient")
        OUTSIDE_RULES = "outside_rules", _("The claim is outside the rules")
        NOT_PERSONAL_USE = "not_personal_use", _("Not bought for personal consumption")
        BRAND_OWNER = "brand_owner", _("The claimant is the brand owner")
        MALICIOUS = "malicious", _("The complaint is malicious")

    class Route(models.TextChoices):
        DEPOSIT = "deposit", _("Paid from the deposit")
        MERCHANT_FIRST = "merchant_first", _("The merchant pays first")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        SENT_BACK = "sent_back", _("Sent back")
        FINAL = "final", _("Final")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("complaint")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason_code = models.CharField(_("reason"), max_length=30, choices=ReasonCode.choices)
    reasoning = models.TextField(_("reasoning"))
    evidence_relied_on = models.ManyToManyField(
        Evidence, blank=True, related_name="+", verbose_name=_("evidence relied on")
    )
    route = models.CharField(_("payment route"), max_length=20, choices=Route.choices, blank=True)
    suggested_total = models.DecimalField(_("rule-based suggestion"), default=ZERO, **MONEY)
    reduction_reason = models.TextField(_("why less than the suggestion"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.FINAL
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_back_reason = models.TextField(_("why it was sent back"), blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "id"]
        get_latest_by = "decided_at"

    def __str__(self):
        return f"{self.complaint} · {self.get_outcome_display()}"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((line.paid_amount or ZERO for line in self.lines.all()), ZERO)


class AwardLine(models.Model):
    """One itemised line of an award, citing its rule; the ledger entry that paid it, once paid.

    An appeal's lines are what it moved: the difference a raised line paid the consumer, or
    the platform's reimbursement of the merchant after a lowered award.
    """

    REIMBURSEMENT_RULE = "appeal.reimbursement"

    class Category(models.TextChoices):
        REFUND = "refund", _("Refund")
        COMPENSATION = "compensation", _("Compensation")
        SHIPPING = "shipping", _("Shipping")
        OTHER = "other", _("Other")

    decision = models.ForeignKey(
        Decision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("decision"),
    )
    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("appeal"),
    )
    category = models.CharField(_("line"), max_length=20, choices=Category.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    rule = models.CharField(_("rule"), max_length=60)
    explanations = models.JSONField(
        _("explanation"), default=dict, blank=True, help_text=_("The explanation in each language.")
    )
    capped = models.BooleanField(_("capped at the deposit available"), default=False)
    paid_amount = models.DecimalField(_("paid"), null=True, blank=True, **MONEY)
    paid_by_merchant = models.BooleanField(_("paid by the merchant directly"), default=False)
    ledger_entry = models.ForeignKey(
        "deposits.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ledger entry"),
    )

    class Meta:
        verbose_name = _("award line")
        verbose_name_plural = _("award lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="award_line_not_negative"),
            models.CheckConstraint(
                condition=Q(decision__isnull=False, appeal__isnull=True)
                | Q(decision__isnull=True, appeal__isnull=False),
                name="award_line_of_a_decision_or_an_appeal",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"

    @property
    def paid_to_consumer(self) -> bool:
        return self.rule != self.REIMBURSEMENT_RULE

    @property
    def explanation(self) -> str:
        """In the reader's language: both parties and the reviewer may read different ones."""
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        return self.explanations.get(language) or self.explanations.get(settings.LANGUAGE_CODE, "")

    @staticmethod
    def explain(text) -> dict[str, str]:
        """A lazy explanation rendered once in every language of the site, to be stored."""
        explanations = {}
        for code, _name in settings.LANGUAGES:
            with override(code):
                explanations[code] = str(text)[:300]
        return explanations
