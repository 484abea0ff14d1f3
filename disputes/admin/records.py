"""The records the complaint services write (decisions, information requests, appeals,
strikes): read-only in the console."""

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin_bases import ServiceWrittenAdmin
from deposit_claims.templatetags.ui import money

from ..models import (
    Appeal,
    AwardLine,
    Decision,
    DirectPayment,
    Holiday,
    InfoRequest,
)
from .base import ReadOnlyInline

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


@admin.register(DirectPayment)
class DirectPaymentAdmin(ServiceWrittenAdmin):
    """Settlements the merchants record as paid to the consumer directly, with proof (the
    proof is the complaint's evidence, on its case page)."""

    list_display = (
        "complaint",
        "store",
        "amount",
        "method",
        "reference",
        "paid_at",
        "recorded_by",
        "created_at",
    )
    list_filter = ("method",)
    search_fields = ("complaint__number", "reference")
    list_select_related = ("complaint__merchant", "recorded_by")
    show_full_result_count = False
    ordering = ("-created_at", "-id")

    @admin.display(description=_("store"), ordering="complaint__merchant__name")
    def store(self, payment):
        return payment.complaint.merchant.name


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    """Senior reviewers keep this list; the 4-working-day decision target skips these days."""

    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
