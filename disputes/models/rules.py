"""The platform's policy rows: compensation rules, deadline policies, public holidays."""

from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import effective
from merchants.models import MONEY

from .. import compensation


class EffectiveDated(models.Model):
    """A policy row in force from `effective_from` until the next row takes over."""

    effective_from = models.DateTimeField(_("effective from"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-effective_from"]
        get_latest_by = "effective_from"

    @classmethod
    def in_force(cls, at=None):
        """The row in force at `at` (now by default); None before the first one."""
        return effective.in_force(cls, at or timezone.now())


class CompensationRule(EffectiveDated):
    """What each kind of complaint pays; a complaint uses the rule in force at payment."""

    # Who changed what, when, before and after: also a deletion, which moves deadlines.
    history = HistoricalRecords()

    counterfeit_multiple = models.DecimalField(
        _("counterfeit: multiple of the base"), max_digits=5, decimal_places=2, default=Decimal("4")
    )
    counterfeit_window_days = models.PositiveIntegerField(
        _("counterfeit: days after completion"), default=90
    )
    return_window_hours = models.PositiveIntegerField(
        _("7-day return: hours from 00:00 after delivery"), default=168
    )
    after_sales_window_days = models.PositiveIntegerField(
        _("after-sales: days after completion"), default=15
    )
    mismatch_window_days = models.PositiveIntegerField(
        _("description mismatch: days after completion"), default=15
    )
    false_ad_multiple = models.DecimalField(
        _("false advertising / price fraud: multiple"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3"),
    )
    false_ad_minimum = models.DecimalField(
        _("false advertising / price fraud: minimum compensation"),
        default=Decimal("500.00"),
        **MONEY,
    )
    false_ad_window_days = models.PositiveIntegerField(
        _("false advertising / price fraud: days after completion"), default=15
    )
    late_ship_rate = models.DecimalField(
        _("late shipping: share of the base"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.30"),
    )
    late_ship_minimum = models.DecimalField(
        _("late shipping: minimum"), default=Decimal("5.00"), **MONEY
    )
    late_ship_maximum = models.DecimalField(
        _("late shipping: maximum per 24 h"), default=Decimal("500.00"), **MONEY
    )
    late_ship_grace_hours = models.PositiveIntegerField(
        _("late shipping: hours to ship without a promise"), default=48
    )
    late_ship_window_days = models.PositiveIntegerField(
        _("late shipping: days after completion"), default=15
    )
    return_shipping_maximum = models.DecimalField(
        _("description mismatch: most return shipping awarded"),
        default=Decimal("200.00"),
        help_text=_(
            "What the consumer declared paying to send the goods back is awarded up to this, "
            "and only with a logistics record or payment voucher among the evidence."
        ),
        **MONEY,
    )

    class Meta(EffectiveDated.Meta):
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")

    def __str__(self):
        return str(
            _("Compensation rules from %(date)s")
            % {"date": timezone.localtime(self.effective_from).date()}
        )

    def as_rules(self) -> compensation.Rules:
        fields = compensation.Rules.__dataclass_fields__
        return compensation.Rules(**{name: getattr(self, name) for name in fields})


class DeadlinePolicy(EffectiveDated):
    """How long each party has at each stage; a stage uses the policy in force when it starts."""

    # Who changed what, when, before and after: also a deletion, which moves deadlines.
    history = HistoricalRecords()

    merchant_response_hours = models.PositiveIntegerField(
        _("merchant's time to answer (hours)"), default=48
    )
    offer_acceptance_hours = models.PositiveIntegerField(
        _("consumer's time to accept an offer (hours)"), default=72
    )
    negotiation_lapse_days = models.PositiveIntegerField(
        _("days to escalate or settle after the merchant's answer"), default=7
    )
    reopen_days = models.PositiveIntegerField(_("days to report an unpaid settlement"), default=7)
    reminder_hours = models.PositiveIntegerField(
        _("reminder before a deadline (hours)"), default=24
    )
    info_request_hours = models.PositiveIntegerField(
        _("time to answer an information request (hours)"), default=72
    )
    decision_working_days = models.PositiveIntegerField(
        _("working days to decide after escalation"), default=4
    )
    pay_first_hours = models.PositiveIntegerField(
        _("merchant's time to pay first (hours)"), default=72
    )
    appeal_window_days = models.PositiveIntegerField(_("days to appeal"), default=5)
    payout_account_days = models.PositiveIntegerField(
        _("days a payout waits for the consumer's account"),
        default=7,
        help_text=_("Then it goes to the Alipay account of the consumer's login."),
    )
    appeal_response_hours = models.PositiveIntegerField(
        _("time to respond to an appeal (hours)"), default=48
    )
    approval_threshold = models.DecimalField(
        _("awards above this need a senior reviewer's approval"),
        default=Decimal("5000.00"),
        **MONEY,
    )

    class Meta(EffectiveDated.Meta):
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")

    def __str__(self):
        return str(
            _("Deadlines from %(date)s") % {"date": timezone.localtime(self.effective_from).date()}
        )

    def hours(self, name: str) -> timedelta:
        return timedelta(hours=getattr(self, name))

    def days(self, name: str) -> timedelta:
        return timedelta(days=getattr(self, name))


class Holiday(models.Model):
    """A public holiday: not a working day for the 4-working-day decision target."""

    # Who changed what, when, before and after: also a deletion, which moves deadlines.
    history = HistoricalRecords()

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"
