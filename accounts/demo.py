"""Demo logins for `seed_demo`: created once, never changed on a second run."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for everyone to use, demo data only


def ensure_user(
    *,
    username: str,
    display_name: str,
    role_names=(),
    is_staff=False,
    is_superuser=False,
    password: str | None = DEMO_PASSWORD,
):
    """The demo user, created with the demo password (or none: an unclaimed account)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "display_name": display_name,
            "email": username if "@" in username else "",
            "is_staff": is_staff or is_superuser,
            "is_superuser": is_superuser,
        },
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(*Group.objects.filter(name__in=role_names))
    return user
