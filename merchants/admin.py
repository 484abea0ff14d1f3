from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin_bases import ServiceWrittenAdmin
from deposit_claims.templatetags.ui import money

from . import services
from .forms import StoreFactsForm
from .models import (
    STORE_FACTS,
    Category,
    Merchant,
    MerchantMember,
    Order,
    StaffInvitation,
    StoreFactChange,
)

STORE_FACTS_TEMPLATE = "admin/merchants/merchant/store_facts.html"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "deposit_group")
    list_filter = ("deposit_group",)
    search_fields = ("code", "name", "name_en")


GRANTS = ("may_answer", "offer_limit", "may_see_deposit")


@admin.display(description=_("may"))
def grant_summary(grants) -> str:
    return "; ".join(grants.grant_summary())


class MerchantMemberInline(admin.TabularInline):
    """The store's people. An operator adds a new store's owner here; what each staff member
    may do is the owner's choice, in the seller dashboard, and only shown here."""

    model = MerchantMember
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "may", "added_at")
    readonly_fields = ("may", "added_at")
    may = staticmethod(grant_summary)


class StaffInvitationInline(admin.TabularInline):
    """Who the owner invited, with which grants, and what became of it; read-only: only the
    owner invites, withdraws, and the invitee accepts."""

    model = StaffInvitation
    extra = 0
    can_delete = False
    fields = ("identifier", "display_name", "may", "invited_by", "created_at", "status")
    readonly_fields = fields
    may = staticmethod(grant_summary)

    @admin.display(description=_("status"))
    def status(self, invitation):
        return invitation.get_status_display()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invited_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _fact_text(name: str, value) -> str:
    """A recorded fact (a JSON value) in the words and money format a reviewer reads."""
    if name == "categories":
        return ", ".join(value) if value else "—"
    if name == "mall_flagship":
        return gettext("Yes") if value else gettext("No")
    if name == "annual_sales":
        return money(value)
    return str(dict(Merchant._meta.get_field(name).flatchoices).get(value, value))


@admin.display(description=_("changes"))
def fact_summary(change: StoreFactChange) -> str:
    return "; ".join(
        f"{Merchant._meta.get_field(name).verbose_name}: "
        f"{_fact_text(name, change.before.get(name))} → {_fact_text(name, change.after.get(name))}"
        for name in STORE_FACTS
        if name in change.after
    )


class StoreFactChangeInline(admin.TabularInline):
    """The store's fact history, read-only: changes are recorded only by the service."""

    model = StoreFactChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "actor", "summary", "reason")
    readonly_fields = fields
    summary = staticmethod(fact_summary)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "company", "store_type", "trademark_type", "status")
    list_filter = ("status", "store_type", "trademark_type", "mall_flagship", "categories")
    search_fields = ("name", "code", "company")
    filter_horizontal = ("categories",)
    inlines = [MerchantMemberInline, StaffInvitationInline, StoreFactChangeInline]

    def get_inlines(self, request, obj):
        # A store being added has no history yet.
        if obj is None:
            return [MerchantMemberInline]
        return self.inlines

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            # A new store states its facts; there is no requirement yet to recompute.
            return readonly
        # An open store's facts set its required deposit: they change only through
        # change_store_facts, which records the change and recomputes the requirement.
        # Read-only for everyone, superusers included.
        # Its status moves only through the deposit services too (restriction, exit, removal).
        facts = (*STORE_FACTS, "status")
        return readonly + tuple(name for name in facts if name not in readonly)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_change_store_facts": request.user.has_perm("merchants.change_store_facts"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:merchant_id>/store-facts/",
                self.admin_site.admin_view(self.store_facts_view),
                name="merchants_merchant_store_facts",
            ),
            *super().get_urls(),
        ]

    def store_facts_view(self, request, merchant_id):
        if not request.user.has_perm("merchants.change_store_facts"):
            raise PermissionDenied
        merchant = get_object_or_404(Merchant, pk=merchant_id)
        form = StoreFactsForm(request.POST or None, initial=StoreFactsForm.initial_for(merchant))
        if request.method == "POST" and form.is_valid():
            facts = {name: form.cleaned_data[name] for name in STORE_FACTS}
            try:
                change = services.change_store_facts(
                    merchant=merchant,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    **facts,
                )
            except ValidationError as error:
                # Errors keyed by fact land on that field of the form.
                form.add_error(None, error)
            else:
                if change is None:
                    self.message_user(
                        request,
                        gettext("Nothing changed: the store's facts were already these."),
                        messages.WARNING,
                    )
                else:
                    self.message_user(
                        request,
                        gettext("The store's facts were changed and the change recorded."),
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(
                    reverse("admin:merchants_merchant_change", args=[merchant.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Change store facts"),
            "subtitle": str(merchant),
            "merchant": merchant,
            "form": form,
        }
        return TemplateResponse(request, STORE_FACTS_TEMPLATE, context)


@admin.register(StoreFactChange)
class StoreFactChangeAdmin(ServiceWrittenAdmin):
    # Append-only, for everyone: a wrong change is corrected by another recorded change.
    list_display = ("changed_at", "merchant", "actor", "summary", "reason")
    list_filter = ("changed_at",)
    search_fields = ("merchant__name", "merchant__code", "actor__username")
    list_select_related = ("merchant", "actor")
    fields = ("merchant", "actor", "changed_at", "summary", "reason", "before", "after")
    readonly_fields = fields
    summary = staticmethod(fact_summary)


@admin.register(MerchantMember)
class MerchantMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "may", "added_at")
    list_filter = ("role", "may_answer", "may_see_deposit")
    search_fields = ("user__username", "user__display_name", "merchant__name", "merchant__code")
    list_select_related = ("user", "merchant")
    autocomplete_fields = ("user", "merchant")
    fields = ("user", "merchant", "role", *GRANTS, "added_at")
    may = staticmethod(grant_summary)

    def get_readonly_fields(self, request, obj=None):
        # The owner grants; the console shows. A new member starts with the defaults.
        return (*GRANTS, "added_at")


@admin.register(StaffInvitation)
class StaffInvitationAdmin(ServiceWrittenAdmin):
    # Invitations are the owner's: sent, withdrawn and accepted only through the services.
    list_display = ("identifier", "display_name", "merchant", "invited_by", "created_at", "status")
    list_filter = ("created_at",)
    search_fields = ("identifier", "display_name", "merchant__name", "merchant__code")
    list_select_related = ("merchant", "invited_by")
    fields = (
        "merchant",
        "identifier",
        "display_name",
        *GRANTS,
        "invited_by",
        "created_at",
        "expires_at",
        "status",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields

    @admin.display(description=_("status"))
    def status(self, invitation):
        return invitation.get_status_display()


@admin.register(Order)
class OrderAdmin(ServiceWrittenAdmin):
    # Orders mirror the marketplace's order system and change only through import_orders.
    list_display = ("order_number", "merchant", "consumer", "item_title", "goods_amount", "paid_at")
    list_filter = ("merchant__store_type", "paid_at", "completed_at")
    search_fields = ("order_number", "item_title", "consumer__username", "merchant__name")
    list_select_related = ("merchant", "consumer")
    date_hierarchy = "paid_at"
    raw_id_fields = ("consumer", "merchant")
