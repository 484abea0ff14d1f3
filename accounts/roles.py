"""The platform's roles are Django groups; this module names them and reads them."""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, QuerySet
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


# For a user read without them (`with_roles`): compiled once.
_ROLE_NAMES = PreparedRead(
    lambda user_id: Group.objects.filter(user=user_id, name__in=ALL_ROLES).values_list("name")
)

# The annotation `with_roles` gives each role.
_HOLDS = {role: f"holds_{role.lower().replace(' ', '_')}" for role in ALL_ROLES}


def with_roles(users: QuerySet) -> QuerySet:
    """`users`, each with which roles they hold, in the same statement: the session's user
    is read so on every request (accounts.backends), one query less on every page."""
    return users.annotate(
        **{
            flag: Exists(Group.objects.filter(user=OuterRef("pk"), name=role))
            for role, flag in _HOLDS.items()
        }
    )


def user_roles(user) -> frozenset[str]:
    """The platform's roles a user holds, read once per request and cached on the user
    object (from the flags of `with_roles` where the user was read with them)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        if hasattr(user, _HOLDS[CONSUMERS]):
            cached = frozenset(role for role, flag in _HOLDS.items() if getattr(user, flag))
        else:
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
