"""The platform console: Django's admin, open only to staff who passed both factors."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path
from django.utils.translation import gettext_lazy as _


class ConsoleSite(admin.AdminSite):
    site_header = _("Deposit Claims · Platform console")
    site_title = _("Deposit Claims console")
    index_title = _("Work queue")

    def has_permission(self, request):
        # The second factor is enforced for every request by
        # accounts.middleware.ConsoleTwoFactorMiddleware; checked here again so that no
        # console page opens to a password alone, whatever the middleware order.
        verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and verified is not None and verified()

    # The dashboard is imported when used: this module also holds the AdminConfig, imported
    # before any model is loaded.

    def get_urls(self):
        from console.dashboard import dashboard_view

        dashboard = path("dashboard/", self.admin_view(dashboard_view), name="dashboard")
        return [dashboard, *super().get_urls()]

    def each_context(self, request):
        from console.dashboard import can_view_dashboard

        # The index links to the dashboard for those who may open it.
        return {
            **super().each_context(request),
            "can_view_dashboard": can_view_dashboard(request.user),
        }


class ConsoleAdminConfig(AdminConfig):
    default_site = "deposit_claims.console.ConsoleSite"
