"""Holidays, compensation rules and deadline settings: dated, with their history kept."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin_bases import ServiceWrittenAdmin
from common.effective import LEAD_TIME

from ..models import (
    CompensationRule,
    ConsumerStrike,
    DeadlinePolicy,
)

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
