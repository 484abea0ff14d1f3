"""The reviewer console: complaints as case files, the platform's actions on them, and the
records the complaint services write (decisions, information requests, appeals).

Every action on a complaint is a page of its own that calls one service; the admin never
changes a complaint itself. The case file shows only the buttons `has_transition_perm`
allows this user now, and the service checks again under the row lock, so a forged or a
repeated POST is refused with the service's message and changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm
from django_fsm_log.admin import StateLogInline
from simple_history.admin import SimpleHistoryAdmin

from common.effective import LEAD_TIME
from common.paginators import EstimatedCountPaginator
from deposit_claims.templatetags.ui import STATUS_FAMILIES, money
from merchants.models import MONEY

from . import permissions as can
from . import selectors, services
from .compensation import total
from .downloads import evidence_download
from .models import (
    ZERO,
    Appeal,
    AwardLine,
    CompensationRule,
    Complaint,
    ConsumerStrike,
    DeadlinePolicy,
    Decision,
    Evidence,
    Holiday,
    InfoRequest,
    Message,
    Offer,
    Party,
)

Status = Complaint.Status


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows only the complaint services write: the console reads them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# --- the forms of the actions ---------------------------------------------------------------


class ActionForm(forms.Form):
    """The input of one action on one complaint; an action without fields is a confirmation."""

    required_css_class = "required"

    def __init__(self, *args, complaint: Complaint, **kwargs):
        self.complaint = complaint
        super().__init__(*args, **kwargs)


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, evidence):
        name = evidence.description or evidence.original_name
        return f"{evidence.get_party_display()} · {evidence.get_kind_display()} · {name}"


def evidence_field(complaint: Complaint) -> EvidenceChoiceField:
    return EvidenceChoiceField(
        queryset=complaint.evidence.all(),
        required=False,
        label=_("Evidence relied on"),
        help_text=_("Both parties see which of the files the decision rests on."),
    )


def reasoning_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reasoning"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Both parties read this: the facts found and the rule applied."),
    )


REASONS_NOT_MALICIOUS = [
    (value, label)
    for value, label in Decision.ReasonCode.choices
    if value != Decision.ReasonCode.MALICIOUS
]


class RequestInfoForm(ActionForm):
    party = forms.ChoiceField(
        label=_("Ask"),
        choices=InfoRequest._meta.get_field("party").choices,
        widget=forms.RadioSelect,
    )
    question = forms.CharField(
        label=_("What is needed"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The party sees this question with the deadline to answer it."),
    )


class AwardLinesForm(ActionForm):
    """One amount per line of what the rules allow this complaint now, each at most its rule's."""

    lines_required = True

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.suggestion = selectors.suggestion_for_complaint(complaint)
        initial = self.initial_amounts()
        for line in self.suggestion:
            self.fields[self.line_field_name(line)] = forms.DecimalField(
                label=line.explanation,
                min_value=0,
                max_value=line.amount,
                initial=initial.get(line.rule, line.amount),
                required=self.lines_required,
                **MONEY,
            )

    def initial_amounts(self) -> dict:
        return {}

    @staticmethod
    def line_field_name(line) -> str:
        return f"line-{line.rule}"

    @property
    def suggested_total(self):
        return total(self.suggestion)

    @property
    def award_rows(self):
        """Each suggested line, its category's name, and the input of the amount awarded."""
        return [
            (line, AwardLine.Category(line.category).label, self[self.line_field_name(line)])
            for line in self.suggestion
        ]

    def service_lines(self) -> list[services.LineInput]:
        return [
            services.LineInput(
                rule=line.rule, amount=self.cleaned_data[self.line_field_name(line)] or ZERO
            )
            for line in self.suggestion
        ]


class DecideForm(AwardLinesForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *REASONS_NOT_MALICIOUS]
    )
    reasoning = reasoning_field()
    route = forms.ChoiceField(
        label=_("Payment route"),
        choices=Decision.Route.choices,
        initial=Decision.Route.DEPOSIT,
        widget=forms.RadioSelect,
    )
    reduction_reason = forms.CharField(
        label=_("Why less than the suggestion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Required when the award is below the rule-based suggestion."),
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)
        self.approval_threshold = selectors.deadline_policy(timezone.now()).approval_threshold

    @property
    def decision_fields(self):
        return [self[name] for name in ("reason_code", "reasoning", "evidence", "route")]


class RejectForm(ActionForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *REASONS_NOT_MALICIOUS]
    )
    reasoning = reasoning_field()

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)


class RejectMaliciousForm(ActionForm):
    """The reason is fixed: only a malicious complaint is rejected as malicious."""

    reasoning = reasoning_field()

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)


class SendBackForm(ActionForm):
    reason = forms.CharField(
        label=_("What to reconsider"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The reviewer who decided reads this and decides again."),
    )


class ResolveAppealForm(AwardLinesForm):
    """A revised award is entered line by line, under the limits of a first decision."""

    lines_required = False
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Appeal.Outcome.choices, widget=forms.RadioSelect
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Final for both parties, who both read it."),
    )

    def initial_amounts(self) -> dict:
        decision = self.complaint.final_decision
        if decision is None or decision.outcome != Decision.Outcome.UPHELD:
            return {line.rule: ZERO for line in self.suggestion}
        awarded = {line.rule: line.amount for line in decision.lines.all()}
        return {line.rule: awarded.get(line.rule, ZERO) for line in self.suggestion}

    @property
    def resolution_fields(self):
        return [self["outcome"], self["resolution"]]

    @property
    def revises(self) -> bool:
        return self.cleaned_data.get("outcome") in (
            Appeal.Outcome.REVISED_UP,
            Appeal.Outcome.REVISED_DOWN,
        )

    def service_lines(self) -> list[services.LineInput] | None:
        return super().service_lines() if self.revises else None


class InternalNoteForm(ActionForm):
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("Only the platform sees internal notes; the parties never do."),
    )


# --- what each action does --------------------------------------------------------------


def _decision_outcome(decision: Decision) -> str:
    """What became of an award once decided or approved, in the words of the success message."""
    status = Complaint.objects.values_list("status", flat=True).get(pk=decision.complaint_id)
    if status == Status.AWAITING_APPROVAL:
        return gettext("The award of %(amount)s waits for a senior reviewer's approval.") % {
            "amount": money(decision.total)
        }
    if status == Status.AWAITING_MERCHANT_PAYMENT:
        return gettext("The merchant is ordered to pay the consumer %(amount)s first.") % {
            "amount": money(decision.total)
        }
    return gettext("%(amount)s was paid to the consumer from the deposit.") % {
        "amount": money(decision.paid_total)
    }


def take(complaint, user, form) -> str:
    services.take_case(complaint=complaint, actor=user)
    return gettext("You took the case.")


def request_info(complaint, user, form) -> str:
    info = services.request_info(
        complaint=complaint,
        actor=user,
        party=form.cleaned_data["party"],
        question=form.cleaned_data["question"],
    )
    return gettext("Information requested (%(party)s); the answer is due by %(due)s.") % {
        "party": info.get_party_display(),
        "due": _when(info.due_at),
    }


def decide(complaint, user, form) -> str:
    decision = services.decide_complaint(
        complaint=complaint,
        actor=user,
        lines=form.service_lines(),
        reason_code=form.cleaned_data["reason_code"],
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
        route=form.cleaned_data["route"],
        reduction_reason=form.cleaned_data["reduction_reason"],
    )
    return gettext("The complaint is upheld.") + " " + _decision_outcome(decision)


def reject(complaint, user, form) -> str:
    services.reject_complaint(
        complaint=complaint,
        actor=user,
        reason_code=form.cleaned_data["reason_code"],
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
    )
    return gettext("The complaint is rejected and the hold on the deposit released.")


def reject_malicious(complaint, user, form) -> str:
    services.reject_complaint(
        complaint=complaint,
        actor=user,
        reason_code=Decision.ReasonCode.MALICIOUS,
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
        malicious=True,
    )
    return gettext("The complaint is rejected as malicious; the consumer has a strike.")


def approve(complaint, user, form) -> str:
    decision = services.approve_decision(complaint=complaint, actor=user)
    return gettext("The award is approved.") + " " + _decision_outcome(decision)


def send_back(complaint, user, form) -> str:
    decision = services.send_back_decision(
        complaint=complaint, actor=user, reason=form.cleaned_data["reason"]
    )
    return gettext("The award is sent back to %(reviewer)s.") % {"reviewer": decision.decided_by}


def resolve_appeal(complaint, user, form) -> str:
    appeal = services.resolve_appeal(
        complaint=complaint,
        actor=user,
        outcome=form.cleaned_data["outcome"],
        resolution=form.cleaned_data["resolution"],
        lines=form.service_lines(),
    )
    return gettext("The appeal is resolved (%(outcome)s) and the complaint closed.") % {
        "outcome": appeal.get_outcome_display()
    }


def add_internal_note(complaint, user, form) -> str:
    services.post_message(
        complaint=complaint, author=user, body=form.cleaned_data["body"], internal=True
    )
    return gettext("Internal note added.")


# --- who may do what now ----------------------------------------------------------------


def allowed_by(transition: str) -> Callable[[Complaint, object], bool]:
    def may(complaint, user) -> bool:
        return has_transition_perm(getattr(complaint, transition), user)

    return may


def may_take(complaint, user) -> bool:
    # Any reviewer may take a case over, but taking one's own case again does nothing.
    return complaint.assigned_reviewer_id != user.pk and allowed_by("take")(complaint, user)


def may_write_internal_note(complaint, user) -> bool:
    return can.is_reviewer(complaint, user)


@dataclass(frozen=True)
class ConsoleAction:
    slug: str
    label: Promise
    may: Callable[[Complaint, object], bool]
    form_class: type[ActionForm]
    perform: Callable[[Complaint, object, ActionForm], str]
    submit_label: Promise
    # "default" is Django admin's primary button; "danger" marks what hurts a party.
    style: str = ""
    warning: Promise | None = None
    template: str = "action_form.html"

    @property
    def url_name(self) -> str:
        return "disputes_complaint_" + self.slug.replace("-", "_")


ACTIONS = (
    ConsoleAction(
        slug="take",
        label=_("Take the case"),
        may=may_take,
        form_class=ActionForm,
        perform=take,
        submit_label=_("Take the case"),
        style="default",
    ),
    ConsoleAction(
        slug="decide",
        label=_("Uphold"),
        may=allowed_by("decide"),
        form_class=DecideForm,
        perform=decide,
        submit_label=_("Uphold with this award"),
        style="default",
        template="decide.html",
    ),
    ConsoleAction(
        slug="request-info",
        label=_("Request information"),
        may=allowed_by("request_info"),
        form_class=RequestInfoForm,
        perform=request_info,
        submit_label=_("Send the request"),
    ),
    ConsoleAction(
        slug="reject",
        label=_("Reject"),
        may=allowed_by("reject"),
        form_class=RejectForm,
        perform=reject,
        submit_label=_("Reject the complaint"),
    ),
    ConsoleAction(
        slug="reject-malicious",
        label=_("Reject as malicious"),
        may=allowed_by("reject"),
        form_class=RejectMaliciousForm,
        perform=reject_malicious,
        submit_label=_("Reject as malicious and give a strike"),
        style="danger",
        warning=_(
            "The consumer gets a strike: two strikes within 12 months stop them filing "
            "complaints for 90 days. Use this only when the complaint was made in bad faith."
        ),
    ),
    ConsoleAction(
        slug="approve",
        label=_("Approve the award"),
        may=allowed_by("approve"),
        form_class=ActionForm,
        perform=approve,
        submit_label=_("Approve and pay the award"),
        style="default",
        warning=_(
            "Approving pays the award from the deposit now, or orders the merchant to pay "
            "first, as the decision says."
        ),
        template="approve.html",
    ),
    ConsoleAction(
        slug="send-back",
        label=_("Send back"),
        may=allowed_by("send_back"),
        form_class=SendBackForm,
        perform=send_back,
        submit_label=_("Send the award back"),
        template="approve.html",
    ),
    ConsoleAction(
        slug="resolve-appeal",
        label=_("Resolve the appeal"),
        may=allowed_by("resolve_appeal"),
        form_class=ResolveAppealForm,
        perform=resolve_appeal,
        submit_label=_("Resolve the appeal, finally"),
        style="default",
        warning=_(
            "The resolution is final for both parties. A raised award is paid at once; a "
            "lowered one makes the merchant whole at the platform's cost."
        ),
        template="resolve_appeal.html",
    ),
    ConsoleAction(
        slug="note",
        label=_("Internal note"),
        may=may_write_internal_note,
        form_class=InternalNoteForm,
        perform=add_internal_note,
        submit_label=_("Add the note"),
    ),
)
ACTIONS_BY_SLUG = {action.slug: action for action in ACTIONS}
TEMPLATES = "admin/disputes/complaint/"


# --- the case file ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    """A message or an information request, in the order they happened."""

    at: datetime
    message: Message | None = None
    info_request: InfoRequest | None = None


PAID_LINES = AwardLine.objects.select_related("ledger_entry")


def case_file_queryset():
    """Everything the case file and its action pages show, in a fixed number of queries."""
    return Complaint.objects.select_related(
        "order",
        "merchant",
        "consumer",
        "assigned_reviewer",
        "appeal_record__appellant",
        "appeal_record__resolved_by",
        "strike",
    ).prefetch_related(
        Prefetch(
            "info_requests",
            queryset=InfoRequest.objects.select_related("asked_by", "answered_by"),
        ),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("decided_by", "approved_by").prefetch_related(
                "evidence_relied_on"
            ),
        ),
        Prefetch("offers", queryset=Offer.objects.select_related("made_by")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
        Prefetch("messages", queryset=Message.objects.select_related("author")),
    )


def load_case_file(complaint_id) -> Complaint | None:
    """The case file's complaint; the award lines of its decisions and of its appeal are
    read in one query between them."""
    complaint = case_file_queryset().filter(pk=complaint_id).first()
    if complaint is None:
        return None
    decisions = list(complaint.decisions.all())
    appeal = getattr(complaint, "appeal_record", None)
    if decisions or appeal:
        lines = list(
            PAID_LINES.filter(Q(decision__complaint=complaint) | Q(appeal__complaint=complaint))
        )
        for decision in decisions:
            _cache_lines(decision, [line for line in lines if line.decision_id == decision.pk])
        if appeal is not None:
            _cache_lines(appeal, [line for line in lines if line.appeal_id == appeal.pk])
    return complaint


def _cache_lines(owner, lines) -> None:
    """Hand `owner.lines.all()` these rows, as a prefetch would."""
    queryset = owner.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    cache = getattr(owner, "_prefetched_objects_cache", {})
    owner._prefetched_objects_cache = {**cache, "lines": queryset}


# The states where the case file shows what the rules allow: an award is still to be made,
# approved or revised.
AWARD_OPEN = (
    Status.UNDER_REVIEW,
    Status.AWAITING_INFO,
    Status.AWAITING_APPROVAL,
    Status.UNDER_APPEAL,
)


def thread_of(complaint: Complaint) -> list[ThreadItem]:
    return sorted(
        [ThreadItem(m.created_at, message=m) for m in complaint.messages.all()]
        + [ThreadItem(r.created_at, info_request=r) for r in complaint.info_requests.all()],
        key=lambda item: item.at,
    )


def evidence_by_party(complaint: Complaint):
    files = list(complaint.evidence.all())
    return [
        (label, [e for e in files if e.party == party])
        for party, label in Party.choices
        if any(e.party == party for e in files)
    ]


def appeal_of(complaint: Complaint) -> Appeal | None:
    return getattr(complaint, "appeal_record", None)


def strike_of(complaint: Complaint) -> ConsumerStrike | None:
    return getattr(complaint, "strike", None)


class _HistoryFormSet(BaseGenericInlineFormSet):
    def get_queryset(self):
        rows = super().get_queryset()
        for row in rows:
            # Every row is of this complaint: no query per row to read it again.
            row._state.fields_cache["content_object"] = self.instance
        return rows


class HistoryInline(StateLogInline):
    """The raw transition log, each row with its actor read in the same query."""

    formset = _HistoryFormSet

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


# --- complaints -------------------------------------------------------------------------


class AssignedReviewerFilter(admin.SimpleListFilter):
    title = _("assigned reviewer")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Waiting for a reviewer"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_reviewer=request.user)
        if self.value() == "nobody":
            return queryset.filter(
                assigned_reviewer__isnull=True,
                status__in=[Status.UNDER_REVIEW, Status.AWAITING_INFO],
            )
        return queryset


APPEAL_ANSWERED = Q(appeal_record__responded_at__isnull=False) | Q(
    appeal_record__response_lapsed=True
)


class AppealFilter(admin.SimpleListFilter):
    title = _("appeal")
    parameter_name = "appeal"

    def lookups(self, request, model_admin):
        return [("ready", _("Ready to resolve")), ("waiting", _("Waiting for the response"))]

    def queryset(self, request, queryset):
        under_appeal = queryset.filter(status=Status.UNDER_APPEAL)
        if self.value() == "ready":
            return under_appeal.filter(APPEAL_ANSWERED)
        if self.value() == "waiting":
            return under_appeal.exclude(APPEAL_ANSWERED)
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status_badge",
        "kind",
        "merchant",
        "claimed",
        "deadline",
        "assigned_reviewer",
        "flags",
        "created_at",
    )
    list_filter = (
        "status",
        AssignedReviewerFilter,
        "decision_overdue",
        "info_lapsed",
        AppealFilter,
        "kind",
        "escalated_by_system",
        "merchant__store_type",
    )
    # The search itself is get_search_results: prefixes the indexes can answer.
    search_fields = ("number",)
    search_help_text = _(
        "A complaint number, an order number, a consumer's login or name, or a store's code "
        "or name; the start of it is enough."
    )
    # One query for the page whatever its length: every column reads only these rows.
    list_select_related = ("merchant", "assigned_reviewer", "appeal_record")
    show_full_result_count = False
    # A reviewer works from the top of the queue: 50 rows a page renders in half the time.
    list_per_page = 50
    # Large results are estimated, never counted (a million rows).
    paginator = EstimatedCountPaginator
    # The most urgent first; complaints without a deadline (nothing to act on) last. The
    # index complaint_queue serves exactly this order.
    ordering = (F("due_at").asc(nulls_last=True), "-created_at", "-pk")
    fieldsets = (
        (
            _("Facts"),
            {
                "fields": (
                    "number",
                    "status",
                    "kind",
                    "order",
                    "consumer",
                    "merchant",
                    "created_at",
                    "description",
                )
            },
        ),
        (
            _("Money"),
            {
                "fields": (
                    "claimed_amount",
                    "suggested_amount",
                    "suggested_refund",
                    "return_shipping",
                    "held_amount",
                    "settled_amount",
                    "payout_method",
                    "payout_account",
                )
            },
        ),
        (
            _("Negotiation"),
            {
                "fields": (
                    "merchant_answer",
                    "merchant_answered_at",
                    "refusal_reason",
                    "lapses_at",
                    "settled_at",
                    "reopen_until",
                )
            },
        ),
        (
            _("Platform"),
            {
                "fields": (
                    "escalated_at",
                    "escalated_by_system",
                    "assigned_reviewer",
                    "decision_due_at",
                    "decision_overdue",
                    "info_lapsed",
                    "due_at",
                    "paid_at",
                    "rejected_at",
                    "closure_reason",
                    "closed_at",
                )
            },
        ),
    )
    # The case file shows evidence, thread, offers and decisions itself; the log is the timeline.
    inlines = [HistoryInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(selectors.console_search(term)), False

    def get_readonly_fields(self, request, obj=None):
        # The case file is read here; every change goes through the complaint services.
        return [f.name for f in Complaint._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, complaint):
        return format_html(
            '<span class="badge badge-{}">{}</span>',
            STATUS_FAMILIES.get(complaint.status, "grey"),
            complaint.get_status_display(),
        )

    @admin.display(description=_("claimed"), ordering="claimed_amount")
    def claimed(self, complaint):
        return money(complaint.claimed_amount)

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline(self, complaint):
        if complaint.due_at is None:
            return "—"
        overdue = complaint.due_at <= timezone.now()
        return format_html(
            '<span class="chip{}">{}</span>',
            " chip-urgent" if overdue else "",
            timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"),
        )

    @admin.display(description=_("needs attention"))
    def flags(self, complaint):
        flags = []
        if complaint.decision_overdue:
            flags.append(("chip chip-urgent", gettext("Decision overdue")))
        if complaint.info_lapsed:
            flags.append(("chip", gettext("Information lapsed")))
        appeal = getattr(complaint, "appeal_record", None)
        if complaint.status == Status.UNDER_APPEAL and appeal and appeal.ready_for_resolution:
            flags.append(("chip", gettext("Appeal ready")))
        return format_html_join(" ", '<span class="{}">{}</span>', flags) or "—"

    # --- the case file and its actions --------------------------------------------------

    def get_urls(self):
        actions = [
            path(
                f"<int:complaint_id>/{action.slug}/",
                self.admin_site.admin_view(self.action_view),
                {"slug": action.slug},
                name=action.url_name,
            )
            for action in ACTIONS
        ]
        return [
            *actions,
            path(
                "<int:complaint_id>/evidence/<int:evidence_id>/",
                self.admin_site.admin_view(self.evidence_view),
                name="disputes_complaint_evidence",
            ),
            *super().get_urls(),
        ]

    def _case(self, request, complaint_id) -> Complaint:
        complaint = load_case_file(complaint_id) if str(complaint_id).isdigit() else None
        if complaint is None:
            raise Http404
        if not self.has_view_permission(request, complaint):
            raise PermissionDenied
        return complaint

    def available_actions(self, complaint, user):
        return [
            (action, reverse(f"admin:{action.url_name}", args=[complaint.pk]))
            for action in ACTIONS
            if action.may(complaint, user)
        ]

    def get_object(self, request, object_id, from_field=None):
        # The change view and the case file read the same, fully prefetched complaint once.
        cached = getattr(request, "_case_file", None)
        if cached is not None and str(cached.pk) == str(object_id):
            return cached
        complaint = load_case_file(object_id) if str(object_id).isdigit() else None
        request._case_file = complaint
        return complaint

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_object(request, object_id)
        if complaint is not None and self.has_view_permission(request, complaint):
            suggestion = (
                selectors.suggestion_for_complaint(complaint)
                if complaint.status in AWARD_OPEN
                else []
            )
            extra_context = {
                **(extra_context or {}),
                "case": complaint,
                "console_actions": self.available_actions(complaint, request.user),
                "evidence_by_party": evidence_by_party(complaint),
                "thread": thread_of(complaint),
                "offers": list(complaint.offers.all()),
                "suggestion_rows": [
                    (line, AwardLine.Category(line.category).label) for line in suggestion
                ],
                "suggested_total": total(suggestion),
                "decisions": list(complaint.decisions.all()),
                "appeal": appeal_of(complaint),
                "strike": strike_of(complaint),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, complaint_id, slug):
        action = ACTIONS_BY_SLUG[slug]
        complaint = self._case(request, complaint_id)
        case_url = reverse("admin:disputes_complaint_change", args=[complaint.pk])
        # A POST is checked by the action's service, which says why it refuses on the form.
        if request.method == "GET" and not action.may(complaint, request.user):
            self.message_user(
                request,
                gettext("“%(action)s” is not open to you on this complaint now.")
                % {"action": action.label},
                messages.WARNING,
            )
            return redirect(case_url)
        posted = request.method == "POST"
        form = action.form_class(request.POST if posted else None, complaint=complaint)
        if posted and form.is_valid():
            try:
                done = action.perform(complaint, request.user, form)
            except ValidationError as error:
                form.add_error(None, error)
                complaint = self._case(request, complaint_id)
                if getattr(error, "code", None) in ("not_allowed", "conflict"):
                    # Most often a second click, or a colleague who acted first.
                    form.add_error(
                        None,
                        gettext(
                            "Nothing was changed. The complaint is now “%(status)s”; "
                            "open the case file to see what happened."
                        )
                        % {"status": complaint.get_status_display()},
                    )
            else:
                self.message_user(request, done, messages.SUCCESS)
                return redirect(case_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": action.label,
            "subtitle": complaint.number,
            "case": complaint,
            "action": action,
            "form": form,
        }
        return TemplateResponse(request, TEMPLATES + action.template, context)

    def evidence_view(self, request, complaint_id, evidence_id):
        return evidence_download(self._case(request, complaint_id), evidence_id)


# --- the records the services write -------------------------------------------------------


class DecisionLineInline(ReadOnlyInline):
    model = AwardLine
    fk_name = "decision"
    fields = (
        "category",
        "rule",
        "explanation",
        "amount",
        "capped",
        "paid_amount",
        "paid_by_merchant",
        "ledger_entry",
    )
    readonly_fields = fields


class AppealLineInline(DecisionLineInline):
    fk_name = "appeal"


@admin.register(Decision)
class DecisionAdmin(ServiceWrittenAdmin):
    list_display = (
        "complaint",
        "outcome",
        "status",
        "award",
        "route",
        "decided_by",
        "decided_at",
        "approved_by",
    )
    list_filter = ("outcome", "status", "route", "reason_code")
    search_fields = ("complaint__number",)
    list_select_related = ("complaint", "decided_by", "approved_by")
    show_full_result_count = False
    inlines = [DecisionLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(award_total=Sum("lines__amount"))

    @admin.display(description=_("award"), ordering="award_total")
    def award(self, decision):
        return money(decision.award_total) if decision.award_total is not None else "—"


@admin.register(InfoRequest)
class InfoRequestAdmin(ServiceWrittenAdmin):
    list_display = ("complaint", "party", "asked_by", "created_at", "due_at", "answered_at")
    list_filter = ("party",)
    search_fields = ("complaint__number",)
    list_select_related = ("complaint", "asked_by")
    show_full_result_count = False


@admin.register(Appeal)
class AppealAdmin(ServiceWrittenAdmin):
    list_display = (
        "complaint",
        "party",
        "created_at",
        "response_due_at",
        "responded_at",
        "response_lapsed",
        "outcome",
        "resolved_by",
    )
    list_filter = ("outcome", "party", "response_lapsed")
    search_fields = ("complaint__number",)
    list_select_related = ("complaint", "resolved_by")
    show_full_result_count = False
    inlines = [AppealLineInline]


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    """Senior reviewers keep this list; the 4-working-day decision target skips these days."""

    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


# --- policy -----------------------------------------------------------------------------


class FuturePolicyForm(forms.ModelForm):
    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        # Every server reads the rules afresh within a minute (common.effective).
        if effective_from < timezone.now() + LEAD_TIME:
            raise ValidationError(
                _(
                    "A new rule takes effect at least %(minutes)s minutes from now; the past "
                    "stays as it was."
                ),
                params={"minutes": int(LEAD_TIME.total_seconds() // 60)},
            )
        return effective_from


class EffectiveDatedAdmin(SimpleHistoryAdmin):
    """Rules in force are history: they are read, and changed only by adding a later one."""

    form = FuturePolicyForm
    list_display = ("effective_from", "created_at")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.effective_from <= timezone.now():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompensationRule)
class CompensationRuleAdmin(EffectiveDatedAdmin):
    list_display = (
        "effective_from",
        "counterfeit_multiple",
        "false_ad_multiple",
        "late_ship_rate",
        "return_shipping_maximum",
        "created_at",
    )


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(EffectiveDatedAdmin):
    list_display = (
        "effective_from",
        "merchant_response_hours",
        "offer_acceptance_hours",
        "negotiation_lapse_days",
        "created_at",
    )


@admin.register(ConsumerStrike)
class ConsumerStrikeAdmin(ServiceWrittenAdmin):
    list_display = ("consumer", "complaint", "created_at", "removed_at")
    search_fields = ("consumer__username", "complaint__number")
    list_select_related = ("consumer", "complaint")
