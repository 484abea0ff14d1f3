"""Who is calling, and what it may do. The key itself is checked by the gateway
(`api.gateway`), which needs the client before the endpoint runs; this tells django-ninja
(and the OpenAPI schema) that every endpoint takes a bearer key, and refuses a call that
reached an endpoint without one."""

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from .errors import ApiError
from .models import ApiClient, Scope


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token):
        return getattr(request, "api_key", None)


def client_with(request, scope: Scope) -> ApiClient:
    """The calling client, if it holds `scope`; 403 otherwise."""
    client = request.auth.client
    if not client.has_scope(scope):
        raise ApiError(
            403,
            "scope_missing",
            _("This client lacks the scope %(scope)s.") % {"scope": scope.value},
        )
    return client
