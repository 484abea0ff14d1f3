"""Stores' deposit accounts: the figures, the filters, and the finance staff's pay-ins,
adjustments and top-up actions (each through deposits.services)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin_bases import ServiceWrittenAdmin
from deposit_claims.admin_display import money_column

from .. import selectors, services
from ..forms import AdjustmentForm, PayInForm
from ..models import DepositAccount
from .base import FORM_TEMPLATE


class TopUpFilter(admin.SimpleListFilter):
    title = _("top-up")
    parameter_name = "top_up"

    def lookups(self, request, model_admin):
        return [("open", _("Notice open")), ("restricted", _("Restricted for a lapsed top-up"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(selectors.OPEN_TOP_UP_NOTICE)
        if self.value() == "restricted":
            return queryset.filter(restricted_for_top_up_at__isnull=False)
        return queryset


class ExitFilter(admin.SimpleListFilter):
    title = _("leaving the platform")
    parameter_name = "exit"

    def lookups(self, request, model_admin):
        return [("due", _("Exit refund due"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(selectors.exit_refund_due(timezone.now()))
        return queryset


@admin.register(DepositAccount)
class DepositAccountAdmin(ServiceWrittenAdmin):
    # Amounts change only through the services, never through a form.
    list_display = (
        "merchant",
        "balance_money",
        "held_money",
        "available_money",
        "arrears_money",
        "top_up_amount_due_money",
        "top_up_due_by",
        "merchant_status",
    )
    list_filter = (TopUpFilter, ExitFilter, "merchant__status", "merchant__store_type")
    search_fields = ("merchant__name", "merchant__code", "merchant__company")
    list_select_related = ("merchant",)
    show_full_result_count = False
    fields = (
        "merchant",
        "balance_money",
        "held_money",
        "available_money",
        "arrears_money",
        "top_up_amount_due_money",
        "top_up_due_by",
        "restricted_for_top_up_at",
        "closing_requested_at",
        "opened_at",
    )
    readonly_fields = fields
    change_form_template = "deposits/admin/account_change_form.html"

    balance_money = money_column("balance", _("balance"))
    held_money = money_column("held", _("held"))
    available_money = money_column("available", _("available"))
    arrears_money = money_column("arrears", _("arrears"))
    top_up_amount_due_money = money_column("top_up_amount_due", _("top-up due"))

    @admin.display(description=_("store status"), ordering="merchant__status")
    def merchant_status(self, account):
        return account.merchant.get_status_display()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_record_pay_in": request.user.has_perm("deposits.record_pay_in"),
            "can_adjust_ledger": request.user.has_perm("deposits.adjust_ledger"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:account_id>/pay-in/",
                self.admin_site.admin_view(self.pay_in_view),
                name="deposits_depositaccount_pay_in",
            ),
            path(
                "<int:account_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="deposits_depositaccount_adjust",
            ),
            *super().get_urls(),
        ]

    def pay_in_view(self, request, account_id):
        def record(account, data):
            services.record_pay_in(
                account=account,
                amount=data["amount"],
                kind=data["kind"],
                reference=data["reference"],
                memo=data["memo"],
                idempotency_key=data["idempotency_key"],
                actor=request.user,
            )

        return self._service_form_view(
            request,
            account_id,
            permission="deposits.record_pay_in",
            form_class=PayInForm,
            title=gettext("Record a pay-in or top-up"),
            call=record,
        )

    def adjust_view(self, request, account_id):
        def post(account, data):
            services.adjust(
                account=account,
                balance_delta=data["balance_delta"],
                arrears_delta=data["arrears_delta"],
                memo=data["memo"],
                reference=data["reference"],
                idempotency_key=data["idempotency_key"],
                actor=request.user,
            )

        return self._service_form_view(
            request,
            account_id,
            permission="deposits.adjust_ledger",
            form_class=AdjustmentForm,
            title=gettext("Post an adjustment"),
            call=post,
        )

    def _service_form_view(self, request, account_id, *, permission, form_class, title, call):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        account = get_object_or_404(
            DepositAccount.objects.select_related("merchant"), pk=account_id
        )
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                call(account, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Saved to the ledger."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:deposits_depositaccount_change", args=[account.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "subtitle": str(account.merchant),
            "account": account,
            "form": form,
        }
        return TemplateResponse(request, FORM_TEMPLATE, context)
