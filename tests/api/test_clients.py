from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from api.models import ApiKey, Scope
from api.services import authenticate, create_client, revoke_key, rotate_key
from tests.factories import MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


def _store_client(superuser, **extra):
    return create_client(
        actor=superuser,
        name="Store ERP",
        contact_email="erp@store.test",
        scopes=[Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE],
        merchant=MerchantFactory(),
        **extra,
    )


def test_a_new_key_authenticates_and_only_its_digest_is_stored(superuser):
    client, issued = _store_client(superuser)
    assert authenticate(issued.secret).client == client
    stored = ApiKey.objects.get(pk=issued.key.pk)
    assert issued.secret not in (stored.digest, stored.prefix)
    assert issued.secret.startswith(stored.prefix)


def test_a_store_client_acts_as_a_staff_member_of_its_store_with_the_grants_given(superuser):
    client, _issued = _store_client(superuser, offer_limit=200)
    member = client.user.merchant_membership
    assert member.merchant == client.merchant
    assert member.may_answer and member.offer_limit == 200
    assert not client.user.has_usable_password()


def test_a_client_without_the_write_scope_may_not_answer(superuser):
    client, _issued = create_client(
        actor=superuser,
        name="Reader",
        contact_email="r@store.test",
        scopes=[Scope.COMPLAINTS_READ],
        merchant=MerchantFactory(),
        offer_limit=100,
    )
    member = client.user.merchant_membership
    assert not member.may_answer and member.offer_limit is None


def test_complaint_scopes_need_a_store(superuser):
    with pytest.raises(ValidationError):
        create_client(
            actor=superuser, name="X", contact_email="x@x.test", scopes=[Scope.COMPLAINTS_READ]
        )


def test_unknown_or_no_scope_is_refused(superuser):
    for scopes in ([], ["everything"]):
        with pytest.raises(ValidationError):
            create_client(actor=superuser, name="X", contact_email="x@x.test", scopes=scopes)


def test_only_a_superuser_creates_clients():
    with pytest.raises(PermissionDenied):
        create_client(
            actor=UserFactory(is_staff=True),
            name="X",
            contact_email="x@x.test",
            scopes=[Scope.ORDERS_WRITE],
        )


def test_wrong_unknown_and_malformed_keys_fail(superuser):
    _client, issued = _store_client(superuser)
    assert authenticate(issued.secret + "x") is None
    assert authenticate("not-a-key") is None
    assert authenticate("") is None


def test_rotation_keeps_the_old_key_for_the_grace_then_stops_it(superuser):
    client, old = _store_client(superuser)
    now = timezone.now()
    new = rotate_key(actor=superuser, client=client, grace=timedelta(hours=1), now=now)
    assert authenticate(old.secret, now=now + timedelta(minutes=59)) is not None
    assert authenticate(old.secret, now=now + timedelta(minutes=61)) is None
    assert authenticate(new.secret, now=now + timedelta(days=30)) is not None


def test_a_revoked_key_or_an_inactive_client_fails_at_once(superuser):
    client, issued = _store_client(superuser)
    revoke_key(actor=superuser, key=issued.key)
    assert authenticate(issued.secret) is None
    second = rotate_key(actor=superuser, client=client)
    client.is_active = False
    client.save()
    assert authenticate(second.secret) is None


def test_last_use_is_written_at_most_once_a_minute(superuser):
    _client, issued = _store_client(superuser)
    now = timezone.now()
    authenticate(issued.secret, now=now)
    authenticate(issued.secret, now=now + timedelta(seconds=30))
    assert ApiKey.objects.get(pk=issued.key.pk).last_used_at == now
    authenticate(issued.secret, now=now + timedelta(minutes=2))
    assert ApiKey.objects.get(pk=issued.key.pk).last_used_at == now + timedelta(minutes=2)
