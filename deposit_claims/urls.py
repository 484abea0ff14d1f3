from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from api.v1 import api as api_v1

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("seller/", include("merchants.urls")),
    path("", include("deposits.urls")),
    path("", include("disputes.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
]
