from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin_bases import ServiceWrittenAdmin

from . import services
from .models import OutboundMessage


class DeliveryFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Waiting to be sent")),
            ("failing", _("Failed, to be tried again")),
            ("given_up", _("Given up")),
            ("sent", _("Sent")),
        ]

    def queryset(self, request, queryset):
        unsent = queryset.filter(sent_at__isnull=True, gave_up_at__isnull=True)
        return {
            "pending": unsent,
            "failing": unsent.filter(attempts__gt=0),
            "given_up": queryset.filter(gave_up_at__isnull=False),
            "sent": queryset.filter(sent_at__isnull=False),
        }.get(self.value(), queryset)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ServiceWrittenAdmin):
    """What left, or failed to leave, for whom: superusers only, and never edited by hand."""

    list_display = ("created_at", "channel", "recipient", "subject", "sent_at", "attempts")
    list_filter = (DeliveryFilter, "channel")
    search_fields = ("recipient", "request_id")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    actions = ["try_again_now"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.action(description=_("Try the selected unsent messages again now"))
    def try_again_now(self, request, queryset):
        count = services.try_again_now(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)s message will be sent again.",
                "%(count)s messages will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
