"""The complaint list and the case file page, with the action pages behind its buttons."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.dates import local_datetime
from common.paginators import EstimatedCountPaginator
from console import queues
from deposit_claims.templatetags.ui import STATUS_FAMILIES, money

from .. import selectors, services, work_queues
from ..compensation import total
from ..downloads import evidence_download
from ..models import (
    AwardLine,
    Complaint,
)
from .actions import ACTIONS, ACTIONS_BY_SLUG, TEMPLATES
from .case_file import (
    AWARD_OPEN,
    HistoryInline,
    appeal_of,
    evidence_by_party,
    load_case_file,
    strike_of,
    thread_of,
)
from .history import history_of
from .why_not import why_no_next_step

Status = Complaint.Status

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
            return queryset.filter(work_queues.UNTAKEN)
        return queryset


class WorkQueueFilter(admin.SimpleListFilter):
    """The landing page's queues, as list filters: each role sees its own."""

    title = _("work queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(queue.key, queue.label) for queue in queues.complaint_queues_for(request.user)]

    def queryset(self, request, queryset):
        for queue in queues.complaint_queues_for(request.user):
            if queue.key == self.value():
                return queryset.filter(queue.condition(request.user))
        return queryset


class AppealFilter(admin.SimpleListFilter):
    title = _("appeal")
    parameter_name = "appeal"

    def lookups(self, request, model_admin):
        return [("ready", _("Ready to resolve")), ("waiting", _("Waiting for the response"))]

    def queryset(self, request, queryset):
        under_appeal = queryset.filter(status=Status.UNDER_APPEAL)
        if self.value() == "ready":
            return under_appeal.filter(work_queues.APPEAL_ANSWERED)
        if self.value() == "waiting":
            return under_appeal.exclude(work_queues.APPEAL_ANSWERED)
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
        WorkQueueFilter,
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
                    "payout_destination",
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

    def get_inlines(self, request, obj):
        # The case file tells the history in words; the raw log is for superusers.
        return [HistoryInline] if request.user.is_superuser else []

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
            local_datetime(complaint.due_at),
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
                "take-next/",
                self.admin_site.admin_view(self.take_next_view),
                name="disputes_complaint_take_next",
            ),
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
                "history": history_of(complaint),
                "why_no_next_step": why_no_next_step(complaint, request.user),
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

    def take_next_view(self, request):
        """One press: the untaken escalation due first becomes this reviewer's, and opens."""
        if request.method != "POST":
            return redirect("admin:index")
        try:
            complaint = services.take_next_case(actor=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:index")
        if complaint is None:
            self.message_user(request, gettext("No escalation is waiting to be taken."))
            return redirect("admin:index")
        self.message_user(
            request,
            gettext("Case %(number)s is yours now.") % {"number": complaint.number},
            messages.SUCCESS,
        )
        return redirect("admin:disputes_complaint_change", complaint.pk)

    def evidence_view(self, request, complaint_id, evidence_id):
        return evidence_download(self._case(request, complaint_id), evidence_id)
