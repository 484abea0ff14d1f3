"""The complaint itself: its states and every transition between them."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from common.choices import label_of
from common.prepared import PreparedRead
from merchants.models import MONEY, Merchant, Order

from .. import permissions as can

ZERO = Decimal("0.00")
# The console's work-queue order: the deadline that matters now first, none last (an
# ascending PostgreSQL index puts nulls last by itself; SQLite refuses to be told).
QUEUE_ORDER = (F("due_at").asc(), F("created_at").desc(), F("id").desc())


# A complaint's ledger entries and payouts carry this and its number as their reference.
COMPLAINT_REFERENCE = "complaint:"


# Asked at every filing: compiled once.
_NUMBER_TAKEN = PreparedRead(
    lambda number: Complaint.objects.filter(number=number).values_list("pk"), keys=(str,)
)


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
    # No index of their own for these keys: each leads one of the indexes in Meta, which
    # serve every lookup by it. A lone index on the store's key also misled PostgreSQL's
    # plans for prepared statements, which expect an average store, to the busy store's
    # cost: 10 ms instead of 0.5 for its waiting list (docs/benchmarks.md).
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("order"),
        db_index=False,
    )
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("consumer"),
        db_index=False,
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("merchant"),
        db_index=False,
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
        db_index=False,  # complaint_reviewer_queue leads with it
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
            if not _NUMBER_TAKEN.rows(number):
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
        # Imported here: `Offer` points at `Complaint`, so its module imports this one.
        from .negotiation import Offer

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
