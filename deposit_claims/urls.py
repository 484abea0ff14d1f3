from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("seller/", include("merchants.urls")),
    path("", include("deposits.urls")),
    path("", include("disputes.urls")),
    path("admin/", admin.site.urls),
]
