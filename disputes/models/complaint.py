"""The complaint itself: its fields, indexes and constraints; its states are in
`complaint_states`, the transitions between them in `complaint_transitions`."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from common.choices import label_of
from common.prepared import PreparedRead
from merchants.models import MONEY, Merchant, Order

from .complaint_states import ZERO, ClosureReason, ComplaintKind, ComplaintStatus, MerchantAnswer
from .complaint_transitions import ComplaintTransitions

# The console's work-queue order: the deadline that matters now first, none last (an
# ascending PostgreSQL index puts nulls last by itself; SQLite refuses to be told).
QUEUE_ORDER = (F("due_at").asc(), F("created_at").desc(), F("id").desc())


# A complaint's ledger entries and payouts carry this and its number as their reference.
COMPLAINT_REFERENCE = "complaint:"


# Asked at every filing: compiled once.
_NUMBER_TAKEN = PreparedRead(
    lambda number: Complaint.objects.filter(number=number).values_list("pk"), keys=(str,)
)


class Complaint(ComplaintTransitions, ConcurrentTransitionMixin, models.Model):
    Kind = ComplaintKind
    Status = ComplaintStatus
    MerchantAnswer = MerchantAnswer
    ClosureReason = ClosureReason

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
        # The number breaks ties of the same instant (bulk imports, one request's batch), so a
        # consumer's list never shows one complaint on two pages and another on none.
        ordering = ["-created_at", "-id"]
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
            models.Index(
                fields=["consumer", "-created_at", "-id"], name="complaint_consumer_recent"
            ),
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
