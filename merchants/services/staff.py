"""The owner's management of the staff: invitations by one-time link, grants, removal."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.identifiers import normalize_identifier
from accounts.services import create_account, send_link_message
from common import pagecache
from common.db import atomic_service

from ..models import INVITATION_LIFETIME, Merchant, MerchantMember, StaffInvitation
from .store_facts import CENT, MAX_AMOUNT, yes_or_no

# Higher layers register what must follow a member's removal (disputes deletes the notices
# that would still show them the store's complaints), run in the removal's transaction.
STAFF_REMOVED: list[Callable[[MerchantMember], None]] = []


@dataclass(frozen=True)
class Grants:
    """What the owner lets a staff member do (see `merchants.models.StaffGrants`)."""

    may_answer: bool = True
    offer_limit: Decimal | None = None
    may_see_deposit: bool = False


def _offer_limit(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationError(gettext_lazy("The limit must be an amount in yuan."), code="invalid")
    amount = Decimal(value)
    if not amount.is_finite() or amount > MAX_AMOUNT:
        raise ValidationError(gettext_lazy("The limit is out of range."), code="out_of_range")
    if amount <= 0:
        raise ValidationError(
            gettext_lazy("The limit must be more than zero; leave it empty for no offers."),
            code="not_positive",
        )
    if amount != amount.quantize(CENT):
        raise ValidationError(
            gettext_lazy("The limit can have at most two decimals."), code="precision"
        )
    return amount


def _checked_grants(grants: Grants) -> dict:
    """The grants as model fields, or every reason they cannot be given, by field."""
    errors, fields = {}, {}
    for name in ("may_answer", "may_see_deposit"):
        try:
            fields[name] = yes_or_no(getattr(grants, name))
        except ValidationError as error:
            errors[name] = error
    try:
        fields["offer_limit"] = _offer_limit(grants.offer_limit)
    except ValidationError as error:
        errors["offer_limit"] = error
    if fields.get("offer_limit") is not None and fields.get("may_answer") is False:
        errors["offer_limit"] = ValidationError(
            gettext_lazy(
                "Offers and acceptances are answers: allow answering complaints too, "
                "or leave the limit empty."
            ),
            code="needs_answering",
        )
    if errors:
        raise ValidationError(errors)
    return fields


def _display_name(value) -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError(
            {"display_name": ValidationError(gettext_lazy("Give the person's name."), "required")}
        )
    if len(name) > 60:
        raise ValidationError(
            {
                "display_name": ValidationError(
                    gettext_lazy("The name can be at most 60 characters."), "too_long"
                )
            }
        )
    return name


def _owned_store(actor) -> Merchant:
    """The store the actor owns, locked: one change to a store's staff at a time. Read
    afresh, never from the actor's cached membership, so an owner changed a moment ago
    is judged as they are now."""
    membership = (
        MerchantMember.objects.filter(user_id=actor.pk).first()
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if membership is None or not membership.is_owner:
        raise PermissionDenied(_("Only the store owner manages the staff."))
    return Merchant.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=membership.merchant_id
    )


def _send_invitation(invitation: StaffInvitation, link: str) -> None:
    # The invitee may have no account, hence no language of their own: the platform's.
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "store": invitation.merchant.name,
            "owner": invitation.invited_by.get_full_name(),
            "name": invitation.display_name,
            "grants": invitation.grant_summary(),
            "expires_at": invitation.expires_at,
            "link": link,
        }
        send_link_message(
            invitation.identifier,
            subject=_("%(store)s invites you to join its staff") % context,
            email_body=render_to_string("merchants/email/invitation.txt", context),
            sms_text=_(
                "[Deposit Claims] %(store)s invites you to join its staff. "
                "Accept within 7 days: %(link)s"
            )
            % context,
        )


@atomic_service
def invite_staff(
    *, actor, identifier: str, display_name: str, grants: Grants, base_url: str
) -> StaffInvitation:
    """The owner invites an e-mail address or mobile number to the staff with `grants`: a
    one-time link, valid for 7 days, goes to that address. Inviting it again withdraws
    the earlier invitation (its link stops working) and sends a new link."""
    store = _owned_store(actor)
    errors, checked = {}, {}
    checks = {
        "identifier": lambda: normalize_identifier(identifier),
        "display_name": lambda: _display_name(display_name),
        "grants": lambda: _checked_grants(grants),
    }
    for name, check in checks.items():
        try:
            checked[name] = check()
        except ValidationError as error:
            errors.update(error.error_dict if hasattr(error, "error_dict") else {name: error})
    if errors:
        raise ValidationError(errors)
    identifier = checked["identifier"]
    if store.members.filter(user__username=identifier).exists():
        raise ValidationError(
            {
                "identifier": ValidationError(
                    gettext_lazy("%(identifier)s is already on your staff."),
                    code="already_member",
                    params={"identifier": identifier},
                )
            }
        )
    now = timezone.now()
    store.invitations.filter(
        identifier=identifier, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        merchant=store,
        identifier=identifier,
        display_name=checked["display_name"],
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
        token_digest=StaffInvitation.digest(token),
        **checked["grants"],
    )
    _send_invitation(invitation, base_url + reverse("merchants:join", kwargs={"token": token}))
    return invitation


def _locked_invitation(store: Merchant, invitation: StaffInvitation) -> StaffInvitation:
    locked = (
        StaffInvitation.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=invitation.pk, merchant=store)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("Only the store owner manages the staff."))
    return locked


@atomic_service
def withdraw_invitation(*, actor, invitation: StaffInvitation) -> StaffInvitation:
    """The owner withdraws an invitation not yet accepted: its link stops working."""
    store = _owned_store(actor)
    invitation = _locked_invitation(store, invitation)
    if invitation.accepted_at:
        raise ValidationError(
            gettext_lazy("This invitation was accepted already; remove the member instead."),
            code="accepted",
        )
    if invitation.revoked_at:
        raise ValidationError(
            gettext_lazy("This invitation was withdrawn already."), code="withdrawn"
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


INVALID_INVITATION = gettext_lazy(
    "This invitation has been used, has expired or was withdrawn. "
    "Ask the store owner for a new one."
)


def refusal_to_join(user) -> str | None:
    """Why an existing account cannot join a store's staff, if it cannot.

    A staff login works for one store, and only for it: never an account that shops on
    the marketplace (it would see its own complaints from the store's side), works for
    another store, or works for the platform."""
    if hasattr(user, "merchant_membership"):
        return gettext_lazy(
            "Your account already works for a store; an account works for one store only."
        )
    if user.is_staff or user.is_superuser or roles.user_roles(user) - {roles.MERCHANT_STAFF}:
        return gettext_lazy(
            "Your account is used for shopping or by the platform, and a staff login is for "
            "work at one store alone. Ask the store owner to invite another e-mail address "
            "or mobile number."
        )
    return None


@atomic_service
def accept_invitation(
    *, token: str, user=None, display_name: str = "", password: str | None = None
) -> MerchantMember:
    """The invitee joins the store's staff with the invitation's grants, once.

    Without an account for the invited address, the account is made now, with the name
    and password chosen here (following the link proved the address is theirs). With
    one, only that account, logged in (`user`), may accept, and only if it may join.
    """
    digest = StaffInvitation.digest(token or "")
    invitation = StaffInvitation.objects.filter(token_digest=digest).first()
    if invitation is None:
        raise ValidationError(INVALID_INVITATION, code="invalid_link")
    # The store first, then the invitation: the order every staff change takes.
    Merchant.objects.select_for_update(no_key=True, of=("self",)).get(pk=invitation.merchant_id)
    invitation = (
        StaffInvitation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("merchant")
        .get(pk=invitation.pk)
    )
    now = timezone.now()
    if invitation.status_at(now) != StaffInvitation.Status.PENDING:
        raise ValidationError(INVALID_INVITATION, code="invalid_link")
    existing = get_user_model().objects.filter(username=invitation.identifier).first()
    if existing is None:
        if not password:
            raise ValidationError(gettext_lazy("Choose a password."), code="password")
        joining = create_account(
            identifier=invitation.identifier,
            display_name=(display_name or "").strip()[:60] or invitation.display_name,
            password=password,
            role=roles.MERCHANT_STAFF,
        )
    else:
        if user is None or user.pk != existing.pk:
            raise ValidationError(
                gettext_lazy(
                    "This invitation is for %(identifier)s, which has an account already: "
                    "log in as %(identifier)s to accept it."
                ),
                code="log_in",
                params={"identifier": invitation.identifier},
            )
        refusal = refusal_to_join(existing)
        if refusal:
            raise ValidationError(refusal, code="cannot_join")
        existing.groups.add(Group.objects.get(name=roles.MERCHANT_STAFF))
        joining = existing
    member = MerchantMember.objects.create(
        user=joining,
        merchant=invitation.merchant,
        role=MerchantMember.Role.STAFF,
        may_answer=invitation.may_answer,
        offer_limit=invitation.offer_limit,
        may_see_deposit=invitation.may_see_deposit,
    )
    invitation.accepted_at, invitation.accepted_by = now, joining
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    pagecache.bump(pagecache.store_scope(member.merchant_id), pagecache.reader_scope(joining.pk))
    return member


def _locked_staff_member(store: Merchant, member: MerchantMember) -> MerchantMember:
    locked = (
        MerchantMember.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(pk=member.pk, merchant=store)
        .first()
    )
    if locked is None:
        # Removed a moment ago (a double submit), or never this owner's: nothing to change.
        raise ValidationError(
            gettext_lazy("This person is no longer on your staff."), code="not_a_member"
        )
    if locked.is_owner:
        raise ValidationError(
            gettext_lazy(
                "The owner may do everything and stays the owner; the platform transfers "
                "a store to a new owner."
            ),
            code="owner",
        )
    return locked


@atomic_service
def change_staff_grants(*, actor, member: MerchantMember, grants: Grants) -> MerchantMember:
    """The owner changes what a staff member may do; it holds from their next request."""
    store = _owned_store(actor)
    if member.merchant_id != store.pk:
        raise PermissionDenied(_("Only the store owner manages the staff."))
    fields = _checked_grants(grants)
    member = _locked_staff_member(store, member)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save(update_fields=list(fields))
    # Every page this member has cached showed what the old grants allowed.
    pagecache.bump(pagecache.reader_scope(member.user_id), pagecache.store_scope(store.pk))
    return member


@atomic_service
def remove_staff(*, actor, member: MerchantMember) -> None:
    """The owner removes a staff member: the membership ends (their next request finds no
    store), the account remains, with the history it wrote."""
    store = _owned_store(actor)
    if member.merchant_id != store.pk:
        raise PermissionDenied(_("Only the store owner manages the staff."))
    member = _locked_staff_member(store, member)
    member.delete()
    member.user.groups.remove(Group.objects.get(name=roles.MERCHANT_STAFF))
    for listener in STAFF_REMOVED:
        listener(member)
    pagecache.bump(pagecache.reader_scope(member.user_id), pagecache.store_scope(store.pk))
