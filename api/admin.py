"""The integration API in the console, for superusers only: clients made, keys issued,
rotated and revoked through `api.services`, and every call read-only.

A new key is shown once, on the page that answers the form or the action, and never put
in a message: Django's messages travel in a cookie or the session, which would keep it.
"""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.paginators import EstimatedCountPaginator
from merchants.models import Merchant

from . import services
from .models import ApiCall, ApiClient, ApiKey, Scope

ISSUED_KEYS_TEMPLATE = "admin/api/issued_keys.html"


class SuperuserOnly:
    """Clients hold the platform's keys: only a superuser sees or manages them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@dataclass(frozen=True)
class ShownKey:
    client: ApiClient
    secret: str
    old_keys_until: datetime | None = None


class NewClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    merchant = forms.ModelChoiceField(
        label=_("store"),
        queryset=Merchant.objects.order_by("code"),
        required=False,
        help_text=_("Needed to read or answer complaints: the client acts as its staff."),
    )
    may_answer = forms.BooleanField(
        label=_("may answer complaints"),
        required=False,
        initial=True,
        help_text=_("With the scope to answer: refuse, write, upload evidence."),
    )
    offer_limit = forms.DecimalField(
        label=_("may settle up to (¥)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Offers and accepted claims up to this amount; empty: none."),
    )

    class Meta:
        model = ApiClient
        fields = ("name", "contact_email")


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = readonly_fields = ("prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ("name", "merchant", "scope_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_email", "merchant__code")
    list_select_related = ("merchant",)
    readonly_fields = (
        "name",
        "contact_email",
        "scope_list",
        "merchant",
        "is_active",
        "user",
        "created_at",
        "created_by",
    )
    fields = readonly_fields
    inlines = [ApiKeyInline]
    actions = ["rotate_keys", "deactivate", "activate"]

    @admin.display(description=_("scopes"))
    def scope_list(self, client):
        return ", ".join(client.scopes)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return NewClientForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "contact_email", "scopes", "merchant", "may_answer", "offer_limit")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST":
            form = NewClientForm(request.POST)
            # Only an invalid form goes on to the admin's own view, which shows its errors;
            # a valid one is never saved by the admin itself.
            if form.is_valid():
                data = form.cleaned_data
                try:
                    client, issued = services.create_client(
                        actor=request.user,
                        name=data["name"],
                        contact_email=data["contact_email"],
                        scopes=data["scopes"],
                        merchant=data["merchant"],
                        may_answer=data["may_answer"],
                        offer_limit=data["offer_limit"],
                    )
                except ValidationError as error:
                    # The form was valid: only the service's own rules refused it.
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
                else:
                    self.log_addition(request, client, [{"added": {}}])
                    return self._show_keys(
                        request, gettext("New client"), [ShownKey(client, issued.secret)]
                    )
        return super().add_view(request, form_url, extra_context)

    def _show_keys(self, request, title, shown):
        response = TemplateResponse(
            request,
            ISSUED_KEYS_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "issued_keys": shown,
            },
        )
        # Every console page is sent with "no-store" (admin_view's never_cache): no cache
        # keeps this one's key.
        return response

    @admin.action(description=_("Rotate the key (old keys keep working 7 days)"))
    def rotate_keys(self, request, queryset):
        shown = []
        for client in queryset:
            issued = services.rotate_key(actor=request.user, client=client)
            shown.append(
                ShownKey(client, issued.secret, issued.key.created_at + services.ROTATION_GRACE)
            )
        return self._show_keys(request, gettext("New keys"), shown)

    @admin.action(description=_("Deactivate (every key stops at once)"))
    def deactivate(self, request, queryset):
        for client in queryset:
            services.set_client_active(actor=request.user, client=client, active=False)

    @admin.action(description=_("Activate"))
    def activate(self, request, queryset):
        for client in queryset:
            services.set_client_active(actor=request.user, client=client, active=True)


@admin.register(ApiKey)
class ApiKeyAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ("prefix", "client", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("client",)
    list_select_related = ("client",)
    search_fields = ("=prefix", "client__name")
    fields = readonly_fields = list_display
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke (stops at once)"))
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(actor=request.user, key=key)
        self.message_user(request, gettext("The keys are revoked."), messages.SUCCESS)


@admin.register(ApiCall)
class ApiCallAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = (
        "created_at",
        "client",
        "method",
        "path",
        "status",
        "duration_ms",
        "idempotency_key",
        "replayed",
    )
    list_filter = ("status", "method", "replayed", "client")
    list_select_related = ("client",)
    search_fields = ("=idempotency_key", "path")
    fields = readonly_fields = (*list_display, "key")
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False
