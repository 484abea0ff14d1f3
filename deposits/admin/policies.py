"""Deposit policies: their tiers, dated, changed only by a later policy."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.effective import LEAD_TIME

from ..models import DepositPolicy, DepositTier


class DepositTierInline(admin.TabularInline):
    model = DepositTier
    extra = 0

    # A policy that has taken effect is history; a change is a new policy.
    def has_add_permission(self, request, obj=None):
        return not (obj and obj.has_taken_effect) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.has_taken_effect) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.has_taken_effect) and super().has_delete_permission(request, obj)


class FuturePolicyForm(forms.ModelForm):
    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        # Every server reads the policies afresh within a minute (common.effective).
        if effective_from < timezone.now() + LEAD_TIME:
            raise ValidationError(
                _("A new policy takes effect at least %(minutes)s minutes from now."),
                params={"minutes": int(LEAD_TIME.total_seconds() // 60)},
            )
        return effective_from


@admin.register(DepositPolicy)
class DepositPolicyAdmin(SimpleHistoryAdmin):
    form = FuturePolicyForm
    list_display = ("name", "effective_from", "applied_at", "created_at")
    readonly_fields = ("applied_at",)
    inlines = [DepositTierInline]

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.has_taken_effect) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.has_taken_effect) and super().has_delete_permission(request, obj)
