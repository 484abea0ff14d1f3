"""The platform's roles are Django groups; this module names them and reads them."""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from common.prepared import PreparedRead

CONSUMERS = "Consumers"
MERCHANT_STAFF = "Merchant staff"
REVIEWERS = "Reviewers"
SENIOR_REVIEWERS = "Senior reviewers"
FINANCE = "Finance"

ALL_ROLES = (CONSUMERS, MERCHANT_STAFF, REVIEWERS, SENIOR_REVIEWERS, FINANCE)
PLATFORM_ROLES = frozenset({REVIEWERS, SENIOR_REVIEWERS, FINANCE})

ROLE_LABELS = {
    CONSUMERS: _("Consumer"),
    MERCHANT_STAFF: _("Merchant staff"),
    REVIEWERS: _("Reviewer"),
    SENIOR_REVIEWERS: _("Senior reviewer"),
    FINANCE: _("Finance"),
}


# Read on nearly every request: compiled once.
_ROLE_NAMES = PreparedRead(lambda user_id: Group.objects.filter(user=user_id).values_list("name"))


def user_roles(user) -> frozenset[str]:
    """The role names of a user, read once per request and cached on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(name for (name,) in _ROLE_NAMES.rows(user.pk))
        user._role_names = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in user_roles(user)


def grant_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Give each group the listed permissions ("app_label.codename"), for data migrations.

    Permissions are normally created after migrations finish, so create them first.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in grants.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
