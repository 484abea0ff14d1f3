"""Who is calling, and what it may do. The key itself is checked by the gateway
(`api.gateway`), which needs the client before the endpoint runs; this tells django-ninja
(and the OpenAPI schema) that an endpoint takes a bearer key with a scope, and refuses a
client without the scope before its input is even read."""

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from .errors import ApiError
from .models import Scope


class ApiKeyAuth(HttpBearer):
    def __init__(self, scope: Scope):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token):
        key = getattr(request, "api_key", None)
        if key is not None and not key.client.has_scope(self.scope):
            raise ApiError(
                403,
                "scope_missing",
                _("This client lacks the scope %(scope)s.") % {"scope": self.scope.value},
            )
        return key
