from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from deposit_claims.templatetags.ui import STATUS_FAMILIES, money

from .models import (
    CompensationRule,
    Complaint,
    ConsumerStrike,
    DeadlinePolicy,
    Evidence,
    Message,
    Offer,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OfferInline(ReadOnlyInline):
    model = Offer
    fields = ("created_at", "refund", "compensation", "status", "expires_at", "note")
    readonly_fields = fields


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("created_at", "party", "kind", "content_type", "size", "description")
    readonly_fields = fields


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "party", "author", "internal", "body")
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status_badge",
        "kind",
        "merchant",
        "claimed",
        "deadline",
        "created_at",
    )
    list_filter = ("status", "kind", "escalated_by_system", "merchant__store_type")
    search_fields = (
        "number",
        "order__order_number",
        "consumer__username",
        "merchant__name",
        "merchant__code",
    )
    list_select_related = ("merchant",)
    show_full_result_count = False
    date_hierarchy = "created_at"
    # The most urgent first; complaints without a deadline (nothing to act on) last.
    ordering = (F("due_at").asc(nulls_last=True), "-created_at")
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
                    "held_amount",
                    "settled_amount",
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
                    "due_at",
                    "closure_reason",
                    "closed_at",
                )
            },
        ),
    )
    inlines = [OfferInline, EvidenceInline, MessageInline, StateLogInline]

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

    class Media:
        css = {"all": ["css/admin.css"]}


class FuturePolicyForm(forms.ModelForm):
    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        if effective_from <= timezone.now():
            raise ValidationError(
                _("A new rule takes effect in the future; the past stays as it was.")
            )
        return effective_from


class EffectiveDatedAdmin(admin.ModelAdmin):
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
class ConsumerStrikeAdmin(admin.ModelAdmin):
    list_display = ("consumer", "complaint", "created_at", "removed_at")
    search_fields = ("consumer__username", "complaint__number")
    list_select_related = ("consumer", "complaint")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
