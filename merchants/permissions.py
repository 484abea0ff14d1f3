from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import MerchantMember


def merchant_member_required(view):
    """Give the view the caller's store membership; anyone without one gets a 404.

    The membership is read on every request, so a member removed a moment ago, or whose
    grants just changed, is judged as they are now, whatever their session holds."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.membership = selectors.membership_of(request.user)
        # The same row answers the grant checks of the transitions and services this
        # request runs (they read `user.merchant_membership`): one read, one judgement.
        request.user.merchant_membership = request.membership
        return view(request, *args, **kwargs)

    return wrapper


def granted(check: Callable[[MerchantMember], bool], refusal):
    """A seller view for the members `check` allows; another member of a store gets a 403
    saying why (someone who belongs to no store still gets the 404)."""

    def decorator(view):
        @merchant_member_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.membership):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


deposit_access_required = granted(
    lambda membership: membership.can_see_deposit,
    _(
        "Your store owner has not given you access to the deposit and its statement. "
        "Ask the owner if you need it."
    ),
)

owner_required = granted(
    lambda membership: membership.is_owner,
    _("Only the store owner invites, changes and removes staff."),
)
