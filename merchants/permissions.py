from functools import wraps

from django.contrib.auth.decorators import login_required

from . import selectors


def merchant_member_required(view):
    """Give the view the caller's store membership; anyone without one gets a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.membership = selectors.membership_of(request.user)
        return view(request, *args, **kwargs)

    return wrapper
