"""Clients of the integration API and their keys: created, rotated and revoked by a
superuser in the console, checked on every call."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from common.db import atomic_service
from merchants.models import MerchantMember

from .models import STORE_SCOPES, ApiClient, ApiKey, Scope

KEY_PREFIX = "dcapi_"
# A key's last use is written at most this often: a write per call would serialise every
# call of one client on its key's row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# How long an old key keeps working after a rotation unless the superuser says otherwise.
ROTATION_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class IssuedKey:
    """A key as it is shown, once, to the superuser who made it."""

    key: ApiKey
    secret: str


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_superuser(actor) -> None:
    if not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser manages API clients."))


def _checked_scopes(scopes, merchant) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in Scope.values]
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(scopes)s."), code="unknown_scope", params={"scopes": unknown}
        )
    if not chosen:
        raise ValidationError(_("Choose at least one scope."), code="no_scope")
    if merchant is None and STORE_SCOPES.intersection(chosen):
        raise ValidationError(
            _("A client that reads or answers complaints must be bound to a store."),
            code="store_required",
        )
    return chosen


def _service_login(name: str):
    """The login a client acts through: no password, so nobody can sign in with it; and
    neither an e-mail address nor a mobile number, so the notices its store's staff get
    are never mailed or texted to it (`disputes.notifications.channels_of`)."""
    user = get_user_model().objects.create_user(
        username=f"api-{secrets.token_hex(6)}", display_name=name[:60]
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _new_key(client: ApiClient) -> IssuedKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        client=client, prefix=secret[: len(KEY_PREFIX) + 8], digest=digest_of(secret)
    )
    return IssuedKey(key=key, secret=secret)


@atomic_service
def create_client(
    *,
    actor,
    name: str,
    contact_email: str,
    scopes: list[str],
    merchant=None,
    may_answer: bool = True,
    offer_limit=None,
) -> tuple[ApiClient, IssuedKey]:
    """A new client with its first key. A store's client joins the store's staff with the
    grants given here, so it may do exactly what such a staff member may do."""
    _check_superuser(actor)
    chosen = _checked_scopes(scopes, merchant)
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError(_("A client with this name exists."), code="duplicate_name")
    user = _service_login(name)
    if merchant is not None:
        user.groups.add(Group.objects.get(name=roles.MERCHANT_STAFF))
        MerchantMember.objects.create(
            user=user,
            merchant=merchant,
            role=MerchantMember.Role.STAFF,
            may_answer=may_answer and Scope.COMPLAINTS_WRITE in chosen,
            offer_limit=offer_limit if Scope.COMPLAINTS_WRITE in chosen else None,
        )
    if Scope.DISBURSEMENTS_WRITE in chosen:
        user.groups.add(Group.objects.get(name=roles.FINANCE))
    client = ApiClient.objects.create(
        name=name,
        contact_email=contact_email,
        scopes=chosen,
        merchant=merchant,
        user=user,
        created_by=actor,
    )
    return client, _new_key(client)


@atomic_service
def rotate_key(
    *, actor, client: ApiClient, grace: timedelta = ROTATION_GRACE, now: datetime | None = None
) -> IssuedKey:
    """A new key for `client`; the keys it had keep working for `grace`, then stop, so the
    client's system can switch without a gap."""
    _check_superuser(actor)
    now = now or timezone.now()
    ApiKey.objects.filter(client=client, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now + grace)
    ).update(expires_at=now + grace)
    return _new_key(client)


@atomic_service
def revoke_key(*, actor, key: ApiKey, now: datetime | None = None) -> ApiKey:
    _check_superuser(actor)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = now or timezone.now()
        key.expires_at = None
        key.save(update_fields=["revoked_at", "expires_at"])
    return key


def authenticate(secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The live key `secret` is, with its active client loaded; None for anything else."""
    if not secret.startswith(KEY_PREFIX):
        return None
    now = now or timezone.now()
    key = (
        ApiKey.objects.select_related("client__user", "client__merchant")
        .filter(digest=digest_of(secret), revoked_at__isnull=True, client__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if key is None:
        return None
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@atomic_service
def set_client_active(*, actor, client: ApiClient, active: bool) -> ApiClient:
    """Switch a client off (every key stops at once) or on again (its live keys work)."""
    _check_superuser(actor)
    ApiClient.objects.filter(pk=client.pk).update(is_active=active)
    client.is_active = active
    return client
