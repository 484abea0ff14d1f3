import pytest
from django.contrib.auth.models import Group

from accounts import roles

pytestmark = pytest.mark.django_db


def _perms(group_name):
    group = Group.objects.get(name=group_name)
    return set(group.permissions.values_list("content_type__app_label", "codename").order_by())


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


def test_consumers_and_merchant_staff_have_no_console_permissions():
    assert _perms(roles.CONSUMERS) == set()
    assert _perms(roles.MERCHANT_STAFF) == set()


# The one write on stores the console has: a senior reviewer's recorded change of the facts
# that set the required deposit (merchants.services.change_store_facts).
MERCHANT_WRITES = {roles.SENIOR_REVIEWERS: {("merchants", "change_store_facts")}}


@pytest.mark.parametrize("group_name", [roles.REVIEWERS, roles.SENIOR_REVIEWERS, roles.FINANCE])
def test_console_roles_may_read_but_never_edit_orders(group_name):
    perms = _perms(group_name)
    assert ("merchants", "view_order") in perms
    writes = {p for p in perms if p[0] == "merchants" and not p[1].startswith("view_")}
    assert writes == MERCHANT_WRITES.get(group_name, set())


def test_finance_sees_stores_and_orders_but_not_store_staff():
    perms = {p for p in _perms(roles.FINANCE) if p[0] == "merchants"}
    assert perms == {("merchants", "view_merchant"), ("merchants", "view_order")}
