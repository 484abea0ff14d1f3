from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from common.paginators import ShortListPaginator

from . import selectors, services
from .forms import GrantsForm, InviteForm, JoinForm, RemoveStaffForm
from .models import StaffInvitation
from .permissions import merchant_member_required, owner_required

PAGE_SIZE = 25
# Invitations one store sends per day: a real team grows by a few people a day, and each
# invitation is a message the platform sends to an address the store chose.
INVITATIONS_PER_STORE = "20/d"


@merchant_member_required
def seller_orders(request):
    merchant = request.membership.merchant
    page = ShortListPaginator(selectors.orders_of_merchant(merchant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "merchants/orders.html", {"merchant": merchant, "page": page})


# --- the staff ------------------------------------------------------------------------------


def _staff_page(request, *, invite_form=None, status=200):
    membership = request.membership
    merchant = membership.merchant
    context = {"merchant": merchant, "membership": membership, "now": timezone.now()}
    members = list(selectors.members_of_merchant(merchant))
    if membership.is_owner:
        context["invitations"] = list(selectors.open_invitations_of(merchant))
        context["invite_form"] = invite_form or InviteForm()
    else:
        # Staff see who they work with and what they themselves may do; their colleagues'
        # logins and grants, and the invitations, are the owner's.
        members = [m for m in members if m.is_owner or m.pk == membership.pk]
    context["members"] = members
    return render(request, "merchants/staff.html", context, status=status)


@merchant_member_required
def seller_staff(request):
    return _staff_page(request)


@owner_required
@require_POST
def invite_staff(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, invite_form=form, status=400)
    merchant = request.membership.merchant
    identifier = form.cleaned_data["identifier"]
    if throttle.too_many(
        request, group="merchants:invitations", key=str(merchant.pk), rate=INVITATIONS_PER_STORE
    ) or throttle.too_many_to(request, identifier):
        form.add_error(None, _("Too many invitations for now: nothing was sent. Try again later."))
        return _staff_page(request, invite_form=form, status=429)
    try:
        services.invite_staff(
            actor=request.user,
            identifier=identifier,
            display_name=form.cleaned_data["display_name"],
            grants=services.Grants(**form.grant_values()),
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _staff_page(request, invite_form=form, status=400)
    messages.success(
        request,
        _("The invitation is on its way to %(identifier)s. Its link works once, for 7 days.")
        % {"identifier": identifier},
    )
    return redirect("merchants:staff")


@owner_required
@require_POST
def withdraw_invitation(request, invitation_id):
    invitation = selectors.invitation_of(request.membership.merchant, invitation_id)
    try:
        services.withdraw_invitation(actor=request.user, invitation=invitation)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("The invitation to %(identifier)s is withdrawn; its link no longer works.")
            % {"identifier": invitation.identifier},
        )
    return redirect("merchants:staff")


@owner_required
@require_http_methods(["GET", "POST"])
def staff_member(request, member_id):
    """One staff member's grants, which the owner changes here, and their removal."""
    member = selectors.staff_member_of(request.membership.merchant, member_id)
    # Bound on every POST: with every box cleared the browser sends no grant field at all.
    data = request.POST if request.method == "POST" else None
    form = GrantsForm(data, initial=GrantsForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_staff_grants(
                actor=request.user, member=member, grants=services.Grants(**form.grant_values())
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Saved. %(name)s may now do what you chose, from their next page on.")
                % {"name": member.user.get_full_name()},
            )
            return redirect("merchants:staff")
    return render(
        request,
        "merchants/staff_member.html",
        {"member": member, "form": form, "remove_form": RemoveStaffForm()},
        status=400 if form.errors else 200,
    )


@owner_required
@require_POST
def remove_staff(request, member_id):
    try:
        member = selectors.staff_member_of(request.membership.merchant, member_id)
    except Http404:
        # A second click after the removal, or an id that is not this store's: either way
        # nobody to remove here, and nothing said about other stores.
        messages.info(request, _("This person is not on your staff."))
        return redirect("merchants:staff")
    form = RemoveStaffForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("merchants:staff_member", member_id=member.pk)
    try:
        services.remove_staff(actor=request.user, member=member)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("%(name)s no longer works for the store; their account remains theirs.")
            % {"name": member.user.get_full_name()},
        )
    return redirect("merchants:staff")


# --- joining by the invitation's link --------------------------------------------------------


def _join_page(request, context, status=200):
    return render(request, "merchants/join.html", context, status=status)


def _joined(request, member):
    messages.success(
        request,
        _("Welcome to %(store)s. You are logged in as its staff.")
        % {"store": member.merchant.name},
    )
    return redirect("disputes:seller_overview")


@never_cache
@require_http_methods(["GET", "POST"])
def join(request, token):
    """The invitation's one-time link: a new account is made here with its password; an
    existing one accepts once logged in as itself."""
    invitation = selectors.invitation_for_link(token)
    if invitation is None or invitation.status != StaffInvitation.Status.PENDING:
        return _join_page(request, {"valid": False})
    context = {"valid": True, "invitation": invitation, "grants": invitation.grant_summary()}
    existing = get_user_model().objects.filter(username=invitation.identifier).first()
    if existing is None:
        # The would-be account, unsaved, so the password validators can compare against it.
        would_be = get_user_model()(
            username=invitation.identifier, display_name=invitation.display_name
        )
        form = JoinForm(
            would_be,
            request.POST if request.method == "POST" else None,
            initial={"display_name": invitation.display_name},
        )
        context["form"] = form
        if request.method == "POST":
            if throttle.too_many_from_address(request, "accounts:set-password"):
                form.add_error(
                    None, _("Too many requests from your network. Try again in an hour.")
                )
                return _join_page(request, context, status=429)
            if form.is_valid():
                try:
                    member = services.accept_invitation(
                        token=token,
                        display_name=form.cleaned_data["display_name"],
                        password=form.cleaned_data["new_password1"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    login(request, member.user, backend="accounts.backends.IdentifierBackend")
                    return _joined(request, member)
        return _join_page(request, context, status=400 if form.errors else 200)
    if not request.user.is_authenticated:
        context["log_in_url"] = (
            reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()})
        )
        return _join_page(request, context)
    if request.user.pk != existing.pk:
        context["other_account"] = True
        return _join_page(request, context)
    context["refusal"] = services.refusal_to_join(request.user)
    if request.method == "POST" and not context["refusal"]:
        try:
            member = services.accept_invitation(token=token, user=request.user)
        except ValidationError as error:
            context["errors"] = error.messages
            return _join_page(request, context, status=400)
        return _joined(request, member)
    return _join_page(request, context)
