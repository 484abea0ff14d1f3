from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")


class LoginLockoutConfig(AxesConfig):
    """django-axes, named in the console in the reader's language."""

    verbose_name = _("Login lockouts")
