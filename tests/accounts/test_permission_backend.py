"""The login backend reads a user's permissions in one query that PostgreSQL answers from
the user's index, and reads the same permissions Django's own backend does."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.backends import IdentifierBackend
from tests.factories import PlatformUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _permissions(user):
    """Our backend's permissions of a user as read afresh, and the queries it took."""
    user = _fresh(user)
    with CaptureQueriesContext(connection) as captured:
        permissions = IdentifierBackend().get_all_permissions(user)
    return permissions, captured


def test_own_and_group_permissions_are_read_in_one_query_without_an_or():
    reviewer = PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS])
    reviewer.user_permissions.add(Permission.objects.get(codename="view_logentry"))

    permissions, captured = _permissions(reviewer)

    assert permissions == ModelBackend().get_all_permissions(_fresh(reviewer))
    assert "admin.view_logentry" in permissions
    assert "disputes.view_complaint" in permissions
    # `user = … OR group__user = …` made PostgreSQL read every user's group row.
    assert len(captured) == 1
    assert " OR " not in captured[0]["sql"]


def test_a_superuser_has_every_permission_and_an_inactive_user_none():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    inactive = PlatformUserFactory(is_active=False)

    assert _permissions(superuser)[0] == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    assert _permissions(inactive)[0] == set()
