"""What every call of the integration API passes through before and after its endpoint.

Two middlewares:

- `ApiEdgeMiddleware`, before the session middleware: drops the browser's cookies, and
  puts any error answer given outside the gateway (the body-size limit's 413) in the API's
  one error shape.
- `ApiGatewayMiddleware`, after the language is chosen: the key, the client's rate, the
  idempotency key, the call log; and the error shape of the answers django-ninja or
  Django give on their own (404 of an unknown address, 405, 500), rewritten before an
  idempotency record keeps them.

The key is checked here rather than in django-ninja's auth hook because the idempotency
record and the call log need the client around the whole call; the scopes are checked by
django-ninja (`api.auth`), before an endpoint reads its input.
"""

import time

from django.conf import settings
from django.http import HttpResponse
from django_ratelimit.core import get_usage

from . import idempotency
from .errors import ApiError, error_response, for_status
from .models import ApiCall
from .services import authenticate

PREFIX = "/api/v1/"
# Served to anyone: the docs page reads the schema, neither needs a key.
PUBLIC_PATHS = frozenset({PREFIX + "docs", PREFIX + "openapi.json"})
BEARER = "bearer "


def _presented_key(request):
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith(BEARER):
        return None
    return authenticate(header[len(BEARER) :].strip())


def _rate_limited(request, client) -> HttpResponse | None:
    usage = get_usage(
        request,
        group="api:client",
        key=lambda group, request: str(client.pk),
        rate=settings.API_RATE_PER_CLIENT,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    return error_response(ApiError(429), headers={"Retry-After": str(max(usage["time_left"], 1))})


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _is_api_call(request) -> bool:
    return request.path_info.startswith(PREFIX) and request.path_info not in PUBLIC_PATHS


def _in_error_shape(response):
    """`response` itself, or, for an error answer that is not JSON, the API's own."""
    if response.status_code < 400 or _is_json(response):
        return response
    shaped = for_status(response.status_code)
    if response.has_header("Connection"):
        # The 413 leaves its body unread on the connection, which must not be reused.
        shaped["Connection"] = response["Connection"]
    return shaped


class ApiEdgeMiddleware:
    """The API is called with a key, never a cookie: a browser's cookies are dropped before
    the session, login and language middleware read them. So a call opens no session and
    sets no cookie, a console login in the same browser (Swagger UI's "Try it out") cannot
    redirect it to the second factor or the login page, and the language comes from
    Accept-Language alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_api_call(request):
            return self.get_response(request)
        request.COOKIES = {}
        return _in_error_shape(self.get_response(request))


class ApiGatewayMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_api_call(request):
            return self.get_response(request)
        started = time.monotonic()
        key = _presented_key(request)
        if key is None:
            return for_status(401)
        request.api_key = key
        client = key.client
        idempotency_key = ""
        response = _rate_limited(request, client)
        if response is None:
            if request.method == "POST" and idempotency.HEADER in request.headers:
                idempotency_key = request.headers[idempotency.HEADER]
                response = self._idempotent(request, client, idempotency_key)
            else:
                response = self._answer(request)
        ApiCall.objects.create(
            client=client,
            key=key,
            method=request.method,
            path=request.path[:300],
            status=response.status_code,
            idempotency_key=idempotency_key[:255],
            replayed=response.has_header(idempotency.REPLAY_HEADER),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return response

    def _idempotent(self, request, client, key: str):
        claim = idempotency.start(request, client, key)
        if not isinstance(claim, idempotency.Started):
            return claim
        response = self._answer(request)
        idempotency.finish(claim, response)
        return response

    def _answer(self, request):
        return _in_error_shape(self.get_response(request))
