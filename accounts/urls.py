from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("link-sent/", views.link_sent, name="link_sent"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("create/<str:token>/", views.create_account, name="create_account"),
    path("two-factor/", views.second_factor, name="two_factor"),
    path("two-factor/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
