from functools import cached_property

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse


class ConsoleTwoFactorMiddleware:
    """A console user who logged in with a password alone reaches nothing but the second
    factor's pages (and logging out) until they pass it. Consumers and merchants never
    see it."""

    EXEMPT = ("accounts:two_factor", "accounts:two_factor_qr", "accounts:logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def exempt_paths(self) -> frozenset[str]:
        return frozenset(reverse(name) for name in self.EXEMPT)

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and request.path_info not in self.exempt_paths
        ):
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor"))
        return self.get_response(request)
