"""Webhooks in the console: subscriptions (superusers only; the secret shown once), and the
delivery log with every attempt and a resend action. Every change goes through
webhooks.services; no form saves a row itself."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Delivery, DeliveryAttempt, EventType, Subscription


class SuperusersOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["client", "url", "event_types"]

    def clean(self):
        cleaned = super().clean()
        client = cleaned.get("client") or getattr(self.instance, "client", None)
        try:
            if "url" in cleaned:
                cleaned["url"] = services.checked_url(cleaned["url"])
            if client is not None and "event_types" in cleaned:
                cleaned["event_types"] = services.checked_event_types(
                    client, cleaned["event_types"]
                )
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return cleaned


def _show_secret(request, subscription, secret, model_admin):
    return TemplateResponse(
        request,
        "admin/webhooks/subscription_secret.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": Subscription._meta,
            "title": _("The subscription's secret"),
            "subscription": subscription,
            "secret": secret,
        },
    )


@admin.register(Subscription)
class SubscriptionAdmin(SuperusersOnly, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("client", "url", "is_active", "last_delivered_at", "failing_since")
    list_filter = ("is_active",)
    search_fields = ("client__name", "url")
    list_select_related = ("client",)
    readonly_fields = (
        "is_active",
        "last_delivered_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "created_by",
    )
    actions = ["turn_on", "turn_off", "replace_secret"]

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return ("client", *self.readonly_fields) if obj else ()

    def get_fields(self, request, obj=None):
        return ["client", "url", "event_types", *(self.readonly_fields if obj else [])]

    def save_model(self, request, obj, form, change):
        if change:
            services.change_subscription(
                actor=request.user,
                subscription=obj,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
            return
        created, secret = services.create_subscription(
            actor=request.user,
            client=form.cleaned_data["client"],
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
        )
        obj.pk, obj.secret_encrypted, obj.created_at = created.pk, "", created.created_at
        obj._state.adding = False
        request.webhook_secret = secret

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here, and the form's own save would write the row
        the service wrote."""

    def response_add(self, request, obj, post_url_continue=None):
        return _show_secret(request, obj, request.webhook_secret, self)

    @admin.action(description=_("Turn the selected subscriptions on"))
    def turn_on(self, request, queryset):
        for subscription in queryset:
            services.enable_subscription(actor=request.user, subscription=subscription)
        self.message_user(request, _("Turned on."), messages.SUCCESS)

    @admin.action(description=_("Turn the selected subscriptions off"))
    def turn_off(self, request, queryset):
        for subscription in queryset:
            services.disable_subscription(actor=request.user, subscription=subscription)
        self.message_user(request, _("Turned off."), messages.SUCCESS)

    @admin.action(description=_("Replace the secret of the selected subscription"))
    def replace_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one subscription."), messages.ERROR)
            return None
        subscription = queryset.get()
        secret = services.new_secret(actor=request.user, subscription=subscription)
        return _show_secret(request, subscription, secret, self)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            *Delivery.Status.choices,
            ("failing", _("Failed, to be tried again")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(status=Delivery.Status.PENDING, attempts__gt=0)
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(SuperusersOnly, admin.ModelAdmin):
    """The delivery log: each event to each subscription, with every attempt."""

    list_display = (
        "created_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = (DeliveryStatusFilter, "event__type")
    search_fields = ("ordering_key", "event__id", "subscription__client__name")
    list_select_related = ("event", "subscription__client")
    ordering = ("-id",)
    show_full_result_count = False
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    fields = (
        "event",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "give_up_after",
        "delivered_at",
        "given_up_at",
        "payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description=_("payload"))
    def payload(self, delivery):
        return services.body_of(delivery.event).decode()

    @admin.action(description=_("Resend the selected deliveries now"))
    def resend(self, request, queryset):
        count = services.resend(actor=request.user, deliveries=list(queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)s delivery will be sent again.",
                "%(count)s deliveries will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
