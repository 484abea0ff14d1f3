from contextlib import suppress

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from common.prepared import PreparedRead

from . import roles
from .identifiers import normalize_identifier

# The session's user on every request, with their roles, store membership and its store
# in the same statement: every page shows what the roles allow and every seller page checks
# the membership as it is now (merchants.permissions), and this way neither costs a read
# of its own.
_SESSION_USER = PreparedRead(
    lambda pk: roles.with_roles(
        get_user_model()
        ._default_manager.select_related("merchant_membership__merchant")
        .filter(pk=pk)
    )
)


class IdentifierBackend(ModelBackend):
    """Log in with an e-mail address or mobile number in any common spelling."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        # Staff accounts may have plain usernames, which stay as typed.
        with suppress(ValidationError):
            username = normalize_identifier(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = _SESSION_USER.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """A user's own and their groups' permissions in one query (Django reads them in
        two), once per request: every console page checks several."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            names = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                permissions = Permission.objects.values_list(*names).order_by()
            else:
                # A UNION, not `user=… OR group__user=…`: the OR over two outer joins
                # cannot use the user's index, and PostgreSQL reads every user's group
                # row (200,000 of them in the load data: 17–40 ms on each console page).
                own = Permission.objects.filter(user=user_obj).values_list(*names).order_by()
                grouped = Permission.objects.filter(group__user=user_obj)
                permissions = own.union(grouped.values_list(*names).order_by())
            user_obj._perm_cache = {
                f"{app_label}.{codename}" for app_label, codename in permissions
            }
        return user_obj._perm_cache
