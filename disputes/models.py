import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from simple_history.models import HistoricalRecords

from common import effective
from common.choices import label_of
from merchants.models import MONEY, Merchant, Order

from . import compensation
from . import permissions as can

ZERO = Decimal("0.00")
# The console's work-queue order: the deadline that matters now first, none last (an
# ascending PostgreSQL index puts nulls last by itself; SQLite refuses to be told).
QUEUE_ORDER = (F("due_at").asc(), F("created_at").desc(), F("id").desc())


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


# A complaint's ledger entries and payouts carry this and its number as their reference.
COMPLAINT_REFERENCE = "complaint:"


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


class Complaint(ConcurrentTransitionMixin, models.Model):
    class Kind(models.TextChoices):
        COUNTERFEIT = "counterfeit", _("Counterfeit goods")
        SEVEN_DAY_RETURN = "seven_day_return", _("7-day return refused")
        AFTER_SALES = "after_sales", _("After-sales promise broken")
        DESCRIPTION_MISMATCH = "description_mismatch", _("Not as described")
        FALSE_ADVERTISING = "false_advertising", _("False advertising")
        PRICE_FRAUD = "price_fraud", _("Price fraud")
        LATE_SHIPPING = "late_shipping", _("Late shipping")

    class Status(models.TextChoices):
        NEGOTIATING = "negotiating", _("Negotiating")
        SETTLED = "settled", _("Settled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        UNDER_REVIEW = "under_review", _("Under platform review")
        AWAITING_INFO = "awaiting_info", _("Waiting for information")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        AWAITING_MERCHANT_PAYMENT = (
            "awaiting_merchant_payment",
            _("Waiting for the merchant to pay"),
        )
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")
        UNDER_APPEAL = "under_appeal", _("Under appeal")
        CLOSED = "closed", _("Closed")

    class MerchantAnswer(models.TextChoices):
        NONE = "", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted the claim")
        REFUSED = "refused", _("Refused")
        OFFERED = "offered", _("Made an offer")

    class ClosureReason(models.TextChoices):
        NONE = "", "—"
        SETTLED_CLAIM = "settled_claim", _("The merchant accepted the claim")
        SETTLED_OFFER = "settled_offer", _("The consumer accepted the merchant's offer")
        WITHDRAWN = "withdrawn", _("Withdrawn by the consumer")
        LAPSED = "lapsed", _("Neither escalated nor settled in time")
        APPEAL_WINDOW = "appeal_window", _("Nobody appealed in time")
        APPEAL_RESOLVED = "appeal_resolved", _("The appeal was resolved")

    number = models.CharField(_("complaint number"), max_length=20, unique=True, editable=False)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("order")
    )
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("consumer"),
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("merchant")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    description = models.TextField(_("what happened"))
    claimed_amount = models.DecimalField(_("claimed amount"), **MONEY)
    suggested_amount = models.DecimalField(
        _("rule-based suggestion"),
        default=ZERO,
        help_text=_("What the rules in force at payment allow, before any cap."),
        **MONEY,
    )
    suggested_refund = models.DecimalField(
        _("refund part of the suggestion"), default=ZERO, **MONEY
    )
    return_requested_at = models.DateTimeField(_("return requested at"), null=True, blank=True)
    return_shipping = models.DecimalField(_("return shipping paid"), default=ZERO, **MONEY)
    status = FSMField(
        _("status"), default=Status.NEGOTIATING, choices=Status.choices, protected=True
    )
    due_at = models.DateTimeField(_("current deadline"), null=True, blank=True)
    reminded_for_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    merchant_answer = models.CharField(
        _("merchant's answer"),
        max_length=10,
        choices=MerchantAnswer.choices,
        blank=True,
        default="",
    )
    merchant_answered_at = models.DateTimeField(_("merchant answered at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusing"), blank=True)
    lapses_at = models.DateTimeField(
        _("lapses at"),
        null=True,
        blank=True,
        help_text=_("7 days after the merchant's first answer, unless escalated or settled."),
    )
    settled_amount = models.DecimalField(_("settled amount"), null=True, blank=True, **MONEY)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    reopen_until = models.DateTimeField(
        _("unpaid settlement can be reported until"), null=True, blank=True
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_by_system = models.BooleanField(_("escalated by the deadline"), default=False)
    held_amount = models.DecimalField(_("held on the deposit"), default=ZERO, **MONEY)
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("assigned reviewer"),
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True, default=""
    )
    decision_due_at = models.DateTimeField(
        _("decision due by"), null=True, blank=True, help_text=_("4 working days after escalation.")
    )
    decision_overdue = models.BooleanField(_("decision overdue"), default=False)
    info_lapsed = models.BooleanField(_("an information request lapsed"), default=False)
    payout_destination = models.ForeignKey(
        "deposits.PayoutAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payout account"),
        help_text=_(
            "Where the consumer chose to be paid; without a choice a payout waits for one, "
            "then goes to the Alipay account of their login."
        ),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at"]
        # The console's queue order (the deadline that matters now, the newest first among
        # equals) for the whole table, each status, each filter, each store's list; the rest
        # for the consumer's list and the deadline sweep. (On PostgreSQL Django already gives
        # the unique number a pattern index, which serves search by its start.)
        indexes = [
            models.Index(*QUEUE_ORDER, name="complaint_queue"),
            models.Index(F("status"), *QUEUE_ORDER, name="complaint_status_queue"),
            models.Index(F("assigned_reviewer"), *QUEUE_ORDER, name="complaint_reviewer_queue"),
            models.Index(
                *QUEUE_ORDER,
                name="complaint_untaken_queue",
                condition=Q(
                    assigned_reviewer__isnull=True, status__in=["under_review", "awaiting_info"]
                ),
            ),
            models.Index(
                *QUEUE_ORDER, name="complaint_overdue_queue", condition=Q(decision_overdue=True)
            ),
            models.Index(
                *QUEUE_ORDER, name="complaint_info_lapsed_queue", condition=Q(info_lapsed=True)
            ),
            models.Index(
                fields=["decision_due_at"],
                name="complaint_deciding_due",
                condition=Q(
                    decision_overdue=False,
                    status__in=["under_review", "awaiting_info", "awaiting_approval"],
                ),
            ),
            models.Index(fields=["consumer", "-created_at"], name="complaint_consumer_recent"),
            models.Index(F("merchant"), *QUEUE_ORDER, name="complaint_store_queue"),
            # The store's 12-month figures, counted from the index alone on PostgreSQL.
            models.Index(
                fields=["merchant", "created_at", "status", "escalated_at"],
                name="complaint_store_recent",
            ),
            models.Index(
                F("merchant"), F("status"), *QUEUE_ORDER, name="complaint_store_status_queue"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], name="complaint_one_per_order_and_kind"
            ),
            models.CheckConstraint(
                condition=Q(claimed_amount__gt=0), name="complaint_claim_positive"
            ),
            models.CheckConstraint(
                condition=Q(held_amount__gte=0), name="complaint_held_not_negative"
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = self.new_number()
        super().save(*args, **kwargs)

    @staticmethod
    def new_number() -> str:
        """TS + the filing date + six random digits: unique, and not a count of complaints."""
        day = timezone.localdate().strftime("%Y%m%d")
        while True:
            number = f"TS{day}{secrets.randbelow(10**6):06d}"
            if not Complaint.objects.filter(number=number).exists():
                return number

    def as_of(self, now):
        """Judge deadlines and conditions at `now` (the services' single instant)."""
        self._as_of = now
        return self

    @property
    def now(self):
        return getattr(self, "_as_of", None) or timezone.now()

    @property
    def pending_decision(self):
        return next((d for d in self.decisions.all() if d.status == "pending_approval"), None)

    @property
    def final_decision(self):
        finals = [d for d in self.decisions.all() if d.status == "final"]
        return finals[-1] if finals else None

    @property
    def ledger_reference(self) -> str:
        return f"{COMPLAINT_REFERENCE}{self.number}"

    def get_status_display(self):
        return label_of(self.Status, self.status)

    def get_kind_display(self):
        return label_of(self.Kind, self.kind)

    @property
    def open_offer(self):
        return next((o for o in self.offers.all() if o.status == Offer.Status.OPEN), None)

    # --- transitions: pure state changes; the services do everything else -------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.SETTLED,
        permission=can.accept_for_merchant,
        custom={"admin": False},
    )
    def accept_claim(self, *, reopen_until, by=None, description=None):
        self.merchant_answer = self.MerchantAnswer.ACCEPTED
        self.merchant_answered_at = self.merchant_answered_at or self.now
        self._settle(self.claimed_amount, self.ClosureReason.SETTLED_CLAIM, reopen_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_for_merchant,
        conditions=[can.merchant_may_still_answer],
        custom={"admin": False},
    )
    def refuse(self, *, reason, lapses_at, by=None, description=None):
        self._answer(self.MerchantAnswer.REFUSED, lapses_at)
        self.refusal_reason = reason
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.offer_for_merchant,
        conditions=[can.merchant_may_still_answer],
        custom={"admin": False},
    )
    def make_offer(self, *, offer_expires_at, lapses_at, by=None, description=None):
        self._answer(self.MerchantAnswer.OFFERED, lapses_at)
        self.due_at = min(offer_expires_at, self.lapses_at)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.SETTLED,
        permission=can.act_as_consumer,
        conditions=[can.has_open_offer],
        custom={"admin": False},
    )
    def accept_offer(self, *, amount, reopen_until, by=None, description=None):
        self._settle(amount, self.ClosureReason.SETTLED_OFFER, reopen_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_as_consumer,
        conditions=[can.has_open_offer],
        custom={"admin": False},
    )
    def decline_offer(self, *, by=None, description=None):
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_as_system,
        custom={"admin": False},
    )
    def expire_offer(self, *, by=None, description=None):
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.NEGOTIATING, Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=Status.WITHDRAWN,
        permission=can.act_as_consumer,
        custom={"admin": False},
    )
    def withdraw(self, *, by=None, description=None):
        self._close(self.ClosureReason.WITHDRAWN)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.UNDER_REVIEW,
        permission=can.escalate,
        conditions=[can.may_escalate_now],
        custom={"admin": False},
    )
    def escalate(self, *, decision_due_at, by_system=False, by=None, description=None):
        self.escalated_at = self.now
        self.escalated_by_system = by_system
        self.decision_due_at = decision_due_at
        self.due_at = decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.NEGOTIATING,
        target=Status.CLOSED,
        permission=can.act_as_system,
        custom={"admin": False},
    )
    def lapse(self, *, by=None, description=None):
        self._close(self.ClosureReason.LAPSED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.SETTLED,
        target=Status.UNDER_REVIEW,
        permission=can.act_as_consumer,
        conditions=[can.within_reopen_window],
        custom={"admin": False},
    )
    def reopen(self, *, decision_due_at, by=None, description=None):
        self.escalated_at = self.now
        self.decision_due_at = decision_due_at
        self.closure_reason = self.ClosureReason.NONE
        self.reopen_until = None
        self.due_at = decision_due_at

    # --- the platform's half ------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=RETURN_VALUE(Status.UNDER_REVIEW, Status.AWAITING_INFO),
        permission=can.is_reviewer,
        custom={"admin": False},
    )
    def take(self, *, reviewer, by=None, description=None):
        self.assigned_reviewer = reviewer
        return self.status

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=Status.AWAITING_INFO,
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def request_info(self, *, due_at, by=None, description=None):
        waiting = self.due_at if self.status == self.Status.AWAITING_INFO else None
        self.due_at = min(d for d in (waiting, due_at) if d is not None)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.AWAITING_INFO,
        target=Status.UNDER_REVIEW,
        permission=can.act_as_party_or_system,
        conditions=[can.no_open_info_request],
        custom={"admin": False},
    )
    def resume_review(self, *, lapsed=False, by=None, description=None):
        self.info_lapsed = self.info_lapsed or lapsed
        self.due_at = self.decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO, Status.AWAITING_APPROVAL],
        target=RETURN_VALUE(Status.UNDER_REVIEW, Status.AWAITING_INFO, Status.AWAITING_APPROVAL),
        permission=can.act_as_system,
        conditions=[can.decision_late],
        custom={"admin": False},
    )
    def flag_overdue(self, *, by=None, description=None):
        self.decision_overdue = True
        return self.status

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.UNDER_REVIEW,
        target=RETURN_VALUE(
            Status.AWAITING_APPROVAL, Status.AWAITING_MERCHANT_PAYMENT, Status.PAID
        ),
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def decide(
        self,
        *,
        needs_approval,
        pay_first,
        pay_first_due_at,
        appeal_until,
        by=None,
        description=None,
    ):
        if needs_approval:
            return self.Status.AWAITING_APPROVAL
        return self._route(pay_first, pay_first_due_at, appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.AWAITING_APPROVAL,
        target=RETURN_VALUE(Status.AWAITING_MERCHANT_PAYMENT, Status.PAID),
        permission=can.is_approving_senior,
        custom={"admin": False},
    )
    def approve(self, *, pay_first, pay_first_due_at, appeal_until, by=None, description=None):
        return self._route(pay_first, pay_first_due_at, appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.AWAITING_APPROVAL,
        target=Status.UNDER_REVIEW,
        permission=can.is_approving_senior,
        custom={"admin": False},
    )
    def send_back(self, *, by=None, description=None):
        self.due_at = self.decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.AWAITING_MERCHANT_PAYMENT,
        target=Status.PAID,
        permission=can.act_for_merchant,
        conditions=[can.pay_first_open],
        custom={"admin": False},
    )
    def confirm_payment(self, *, appeal_until, by=None, description=None):
        self._paid(appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.AWAITING_MERCHANT_PAYMENT,
        target=Status.PAID,
        permission=can.act_as_system,
        conditions=[can.pay_first_lapsed],
        custom={"admin": False},
    )
    def charge_deposit(self, *, appeal_until, by=None, description=None):
        self._paid(appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.UNDER_REVIEW,
        target=Status.REJECTED,
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def reject(self, *, appeal_until, by=None, description=None):
        self.rejected_at = self.now
        self.held_amount = ZERO
        self.due_at = appeal_until

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.PAID, Status.REJECTED],
        target=Status.UNDER_APPEAL,
        permission=can.act_as_party,
        conditions=[can.within_appeal_window, can.not_appealed_yet],
        custom={"admin": False},
    )
    def appeal(self, *, response_due_at, by=None, description=None):
        self.due_at = response_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.UNDER_APPEAL,
        target=Status.CLOSED,
        permission=can.is_resolving_senior,
        conditions=[can.appeal_ready],
        custom={"admin": False},
    )
    def resolve_appeal(self, *, by=None, description=None):
        self._close(self.ClosureReason.APPEAL_RESOLVED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.PAID, Status.REJECTED],
        target=Status.CLOSED,
        permission=can.act_as_system,
        conditions=[can.appeal_window_over],
        custom={"admin": False},
    )
    def close(self, *, by=None, description=None):
        self._close(self.ClosureReason.APPEAL_WINDOW)

    def _route(self, pay_first, pay_first_due_at, appeal_until):
        if pay_first:
            self.due_at = pay_first_due_at
            return self.Status.AWAITING_MERCHANT_PAYMENT
        self._paid(appeal_until)
        return self.Status.PAID

    def _paid(self, appeal_until):
        self.paid_at = self.now
        self.held_amount = ZERO
        self.due_at = appeal_until

    def _answer(self, answer, lapses_at):
        self.merchant_answer = answer
        if not self.merchant_answered_at:
            self.merchant_answered_at = self.now
            self.lapses_at = lapses_at

    def _settle(self, amount, reason, reopen_until):
        self.settled_amount = amount
        self.settled_at = self.now
        self.reopen_until = reopen_until
        self.closure_reason = reason
        self.due_at = None

    def _close(self, reason):
        self.closure_reason = reason
        self.closed_at = self.now
        self.due_at = None


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


class Notification(models.Model):
    """An in-app notice; its text is rendered in the reader's language when shown."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("complaint"),
    )
    event = models.CharField(_("event"), max_length=40)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return f"{self.user} · {self.event}"


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
