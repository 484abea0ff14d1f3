"""The platform console: Django's admin, open only to staff who passed both factors."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
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


class ConsoleAdminConfig(AdminConfig):
    default_site = "deposit_claims.console.ConsoleSite"
