from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("Deposit Claims · Platform console")
admin.site.site_title = _("Deposit Claims console")
admin.site.index_title = _("Work queue")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("seller/", include("merchants.urls")),
    path("", include("deposits.urls")),
    path("", include("disputes.urls")),
    path("admin/", admin.site.urls),
]
