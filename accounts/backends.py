from contextlib import suppress

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q

from .identifiers import normalize_identifier


class IdentifierBackend(ModelBackend):
    """Log in with an e-mail address or mobile number in any common spelling."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        # Staff accounts may have plain usernames, which stay as typed.
        with suppress(ValidationError):
            username = normalize_identifier(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        """A user's own and their groups' permissions in one query (Django reads them in
        two), once per request: every console page checks several."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(
                    Q(user=user_obj) | Q(group__user=user_obj)
                ).distinct()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
