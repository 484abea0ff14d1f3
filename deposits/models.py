from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from merchants.models import Category, Merchant

from . import destinations

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class DepositPolicy(models.Model):
    """A set of deposit tiers that takes effect at one moment and stays until the next one.

    A policy whose moment has passed is history: merchants' requirements were recomputed
    from it, so it is never edited; a change is a new policy with a later effective date.
    """

    # Who changed what, when, before and after: also a deletion, which moves deadlines.
    history = HistoricalRecords()

    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateTimeField(_("effective from"), unique=True)
    applied_at = models.DateTimeField(
        _("applied at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When merchants' requirements were recomputed and top-up notices sent."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deposit policy")
        verbose_name_plural = _("deposit policies")
        ordering = ["-effective_from"]

    def __str__(self):
        return self.name

    @property
    def has_taken_effect(self) -> bool:
        return self.effective_from <= timezone.now()

    def clean(self):
        # A past date would rewrite what stores were required to keep back then.
        if self._state.adding and self.effective_from and self.has_taken_effect:
            raise ValidationError(
                {"effective_from": _("A new policy must take effect in the future.")}
            )


class DepositTier(models.Model):
    """One requirement of a policy; empty store or trademark type means any.

    A tier of a category group replaces the general tiers for that group; among all the
    groups a store sells in (and the mall-type flagship tier), the highest amount wins.
    """

    # Who changed what, when, before and after: also a deletion, which moves deadlines.
    history = HistoricalRecords()

    policy = models.ForeignKey(
        DepositPolicy, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("policy")
    )
    category_group = models.CharField(
        _("category group"),
        max_length=20,
        choices=Category.DepositGroup.choices,
        default=Category.DepositGroup.GENERAL,
    )
    store_type = models.CharField(
        _("store type"), max_length=20, choices=Merchant.StoreType.choices, blank=True
    )
    trademark_type = models.CharField(
        _("trademark type"), max_length=2, choices=Merchant.TrademarkType.choices, blank=True
    )
    mall_flagship_only = models.BooleanField(_("mall-type flagship stores only"), default=False)
    amount = models.DecimalField(_("required deposit"), **MONEY)
    annual_sales_threshold = models.DecimalField(
        _("annual sales threshold"),
        null=True,
        blank=True,
        help_text=_("Above these annual sales the higher amount applies."),
        **MONEY,
    )
    amount_above_threshold = models.DecimalField(
        _("required above the threshold"), null=True, blank=True, **MONEY
    )

    class Meta:
        verbose_name = _("deposit tier")
        verbose_name_plural = _("deposit tiers")
        ordering = ["policy", "category_group", "store_type", "trademark_type"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="deposit_tier_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(annual_sales_threshold__isnull=True, amount_above_threshold__isnull=True)
                    | Q(
                        annual_sales_threshold__gte=0,
                        amount_above_threshold__gte=F("amount"),
                    )
                ),
                name="deposit_tier_threshold_complete_and_higher",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_group_display()} · {self.amount}"

    def clean(self):
        if (self.annual_sales_threshold is None) != (self.amount_above_threshold is None):
            raise ValidationError(
                _("Set both the sales threshold and the amount above it, or neither.")
            )
        if self.amount_above_threshold is not None and self.amount_above_threshold < self.amount:
            raise ValidationError(
                _("The amount above the threshold cannot be lower than the amount.")
            )

    def matches(self, merchant: Merchant) -> bool:
        return (
            (not self.store_type or self.store_type == merchant.store_type)
            and (not self.trademark_type or self.trademark_type == merchant.trademark_type)
            and (not self.mall_flagship_only or merchant.mall_flagship)
        )

    def amount_for(self, merchant: Merchant) -> Decimal:
        if (
            self.annual_sales_threshold is not None
            and merchant.annual_sales > self.annual_sales_threshold
        ):
            return self.amount_above_threshold
        return self.amount


class DepositAccount(models.Model):
    """The deposit of one store. The amounts mirror the sums of its ledger entries."""

    merchant = models.OneToOneField(
        Merchant,
        on_delete=models.PROTECT,
        related_name="deposit_account",
        verbose_name=_("merchant"),
    )
    balance = models.DecimalField(_("balance"), default=ZERO, **MONEY)
    held = models.DecimalField(_("held"), default=ZERO, **MONEY)
    arrears = models.DecimalField(_("arrears"), default=ZERO, **MONEY)
    top_up_amount_due = models.DecimalField(_("top-up due"), default=ZERO, **MONEY)
    top_up_due_by = models.DateTimeField(_("top-up due by"), null=True, blank=True)
    top_up_request_key = models.CharField(
        _("top-up request key"), max_length=200, blank=True, editable=False
    )
    restricted_for_top_up_at = models.DateTimeField(
        _("restricted for a lapsed top-up at"),
        null=True,
        blank=True,
        help_text=_("Set when a lapsed top-up restricted the store; paying up lifts it."),
    )
    closing_requested_at = models.DateTimeField(
        _("exit requested at"),
        null=True,
        blank=True,
        help_text=_("When the store asked to leave; the deposit is refundable 30 days later."),
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deposit account")
        verbose_name_plural = _("deposit accounts")
        ordering = ["merchant__name"]
        indexes = [models.Index(fields=["top_up_due_by"], name="deposit_account_top_up_due")]
        permissions = [
            ("record_pay_in", _("Can record pay-ins and top-ups")),
            ("adjust_ledger", _("Can post ledger adjustments")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="deposit_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="deposit_held_not_negative"),
            models.CheckConstraint(
                condition=Q(held__lte=F("balance")), name="deposit_held_within_balance"
            ),
            models.CheckConstraint(
                condition=Q(arrears__gte=0), name="deposit_arrears_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(top_up_amount_due__gte=0), name="deposit_top_up_due_not_negative"
            ),
        ]

    def __str__(self):
        return str(self.merchant)

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are append-only: post a correcting entry instead.")

    def delete(self):
        raise TypeError("Ledger entries are append-only: post a correcting entry instead.")


class LedgerEntry(models.Model):
    """One movement of a deposit. Never edited, never deleted: corrections are new entries."""

    class Kind(models.TextChoices):
        PAY_IN = "pay_in", _("Pay-in")
        TOP_UP = "top_up", _("Top-up")
        HOLD = "hold", _("Hold")
        RELEASE = "release", _("Release")
        CLAIM_PAYOUT = "claim_payout", _("Claim payout")
        PLATFORM_ADVANCE = "platform_advance", _("Platform advance")
        ARREARS_SETTLEMENT = "arrears_settlement", _("Arrears settlement")
        REIMBURSEMENT = "reimbursement", _("Reimbursement")
        EXIT_REFUND = "exit_refund", _("Exit refund")
        FORFEITURE = "forfeiture", _("Forfeiture")
        ADJUSTMENT = "adjustment", _("Adjustment")

    account = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    balance_delta = models.DecimalField(_("balance change"), default=ZERO, **MONEY)
    held_delta = models.DecimalField(_("held change"), default=ZERO, **MONEY)
    arrears_delta = models.DecimalField(_("arrears change"), default=ZERO, **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    held_after = models.DecimalField(_("held after"), **MONEY)
    arrears_after = models.DecimalField(_("arrears after"), **MONEY)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("A complaint number, a bank reference: whatever the movement is for."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    memo = models.TextField(_("memo"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=220, unique=True)
    operation_key = models.CharField(
        _("operation key"),
        max_length=200,
        db_index=True,
        help_text=_("The idempotency key of the service call that wrote this entry."),
    )
    request_digest = models.CharField(
        _("request digest"),
        max_length=64,
        help_text=_(
            "A fingerprint of the call's arguments, to refuse a key reused for another call."
        ),
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "reference"], name="ledger_account_reference")]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(held_after__gte=0), name="ledger_held_after_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(held_after__lte=F("balance_after")),
                name="ledger_held_after_within_balance",
            ),
            models.CheckConstraint(
                condition=Q(arrears_after__gte=0), name="ledger_arrears_after_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Ledger entries are append-only: post a correcting entry instead.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only: post a correcting entry instead.")


class PayoutAccount(models.Model):
    """Where a person asked to be paid: an Alipay account or a bank card.

    Never changed: choosing another account saves another row, so what a payout copied
    from this one stays true. The number is kept only encrypted (common/encryption.py);
    pages show the masked form beside it.
    """

    class Method(models.TextChoices):
        ALIPAY = destinations.ALIPAY, _("Alipay")
        BANK = destinations.BANK, _("Bank card")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payout_accounts",
        verbose_name=_("owner"),
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    holder_name = models.CharField(_("name on the card"), max_length=60, blank=True)
    number_encrypted = models.TextField(_("account number, encrypted"), editable=False)
    number_masked = models.CharField(_("account"), max_length=255, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return " · ".join(
            part for part in (self.get_method_display(), self.bank_name, self.number_masked) if part
        )

    @property
    def destination(self) -> destinations.Destination:
        return destinations.Destination(
            method=self.method,
            number_encrypted=self.number_encrypted,
            number_masked=self.number_masked,
            bank_name=self.bank_name,
            holder_name=self.holder_name,
        )


class Disbursement(models.Model):
    """Money leaving the platform: a consumer's payout or a merchant's refund.

    A consumer's payout made before they chose where it goes waits as *awaiting account*
    (finance cannot send it) until they choose, or until `account_due_at`, when it goes
    to the Alipay account of their login. The destination is copied onto the payout, its
    number encrypted, and can change until the payout is sent.
    """

    class PayeeKind(models.TextChoices):
        CONSUMER = "consumer", _("Consumer")
        MERCHANT = "merchant", _("Merchant")

    class Method(models.TextChoices):
        ALIPAY = destinations.ALIPAY, _("Alipay")
        BANK = destinations.BANK, _("Bank transfer")

    class Status(models.TextChoices):
        AWAITING_ACCOUNT = "awaiting_account", _("Awaiting account")
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    payee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("payee"),
    )
    payee_kind = models.CharField(_("payee kind"), max_length=10, choices=PayeeKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, blank=True)
    payee_bank = models.CharField(_("bank"), max_length=60, blank=True)
    payee_name = models.CharField(_("name on the card"), max_length=60, blank=True)
    payee_account_encrypted = models.TextField(
        _("payee account, encrypted"), blank=True, editable=False
    )
    payee_account_masked = models.CharField(
        _("payee account"),
        max_length=255,
        blank=True,
        help_text=_("Alipay account or bank card number, masked."),
    )
    destination_version = models.PositiveIntegerField(
        _("destination version"),
        default=0,
        editable=False,
        help_text=_("Counts the changes of the destination, so finance never sends to an old one."),
    )
    destination_fell_back = models.BooleanField(
        _("sent to the login's Alipay by default"),
        default=False,
        help_text=_(
            "Set when no account was chosen in time and the payout went to the login's Alipay."
        ),
    )
    account_due_at = models.DateTimeField(
        _("account due by"),
        null=True,
        blank=True,
        help_text=_(
            "Without an account chosen by then, the payout goes to the Alipay account of the "
            "payee's login."
        ),
    )
    account_reminded_at = models.DateTimeField(
        _("last reminded to choose an account"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    external_reference = models.CharField(
        _("payment reference"),
        max_length=100,
        blank=True,
        help_text=_("The bank's or Alipay's reference, recorded by finance when sent."),
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    ledger_entry = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("ledger entry"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("status changed by"),
    )

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_disbursement", _("Can mark disbursements sent or failed and retry them"))
        ]
        indexes = [
            # The few payouts still waiting for an account, for the daily reminders and the
            # fallback to the login after the wait.
            models.Index(
                fields=["account_due_at"],
                name="disbursement_awaiting_account",
                condition=Q(status="awaiting_account"),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="sent") | ~Q(external_reference=""),
                name="disbursement_sent_has_reference",
            ),
            # A payout finance can act on knows where it goes; one that does not yet knows
            # until when it waits.
            models.CheckConstraint(
                condition=Q(status="awaiting_account", account_due_at__isnull=False)
                | (~Q(status="awaiting_account") & ~Q(method="")),
                name="disbursement_destination_or_waiting",
            ),
        ]

    def __str__(self):
        return f"{self.get_payee_kind_display()} {self.payee} · {self.amount}"

    @property
    def destination(self) -> destinations.Destination | None:
        if not self.method:
            return None
        return destinations.Destination(
            method=self.method,
            number_encrypted=self.payee_account_encrypted,
            number_masked=self.payee_account_masked,
            bank_name=self.payee_bank,
            holder_name=self.payee_name,
        )

    def set_destination(self, destination: destinations.Destination) -> None:
        """Copy the destination onto the payout (in memory; the service saves it)."""
        self.method = destination.method
        self.payee_account_encrypted = destination.number_encrypted
        self.payee_account_masked = destination.number_masked
        self.payee_bank = destination.bank_name
        self.payee_name = destination.holder_name
        self.destination_version += 1

    DESTINATION_FIELDS = (
        "method",
        "payee_account_encrypted",
        "payee_account_masked",
        "payee_bank",
        "payee_name",
        "destination_version",
    )
