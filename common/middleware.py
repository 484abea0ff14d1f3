"""Middleware of the platform itself, before and around Django's own."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.functional import empty
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import health, requestid

logger = logging.getLogger("requests")

STAFF_SESSION_STARTED = "staff_session_started"
STAFF_SESSION_SEEN = "staff_session_seen"


class HealthCheckMiddleware:
    """Answers the load balancer's probes first, before host checks, HTTPS redirects or
    sessions: a probe addresses a server by its IP over plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            if request.path == "/healthz":
                return health.liveness()
            if request.path == "/readyz":
                return health.readiness()
        return self.get_response(request)


class RequestLogMiddleware:
    """One line per request, under an id the response and every task it starts carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = requestid.new_request_id(request.headers.get("X-Request-ID"))
        token = requestid.current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if logger.isEnabledFor(logging.INFO):
                self._log(request, response, started)
            return response
        finally:
            requestid.current_request_id.reset(token)

    @staticmethod
    def _log(request, response, started: float) -> None:
        route = _route(request)
        logger.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
            },
        )


def _route(request) -> str:
    """The URL pattern, not the path: a path can hold a one-time token (set-password)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "(unresolved)"
    return "/" + match.route


def _user_id(request):
    """The signed-in user's id if the request already loaded it; never a query of its own."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", empty) is empty:
        return None
    return user.pk


class RequestBodyLimitMiddleware:
    """Refuses a request whose declared body is larger than MAX_REQUEST_BODY_BYTES before a
    byte of it is read (nothing before this reads the body); the proxy in front enforces
    the same limit on bodies sent without a declared length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BODY_BYTES:
            return self._too_large(request)
        return self.get_response(request)

    @staticmethod
    def _too_large(request):
        referer = request.META.get("HTTP_REFERER", "")
        same_site = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        response = render(
            request,
            "request_too_large.html",
            {
                "limit_mb": settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024),
                "back_url": referer if same_site else "/",
            },
            status=413,
        )
        # The unread body is still on the connection: it must not be taken for a request.
        response["Connection"] = "close"
        return response


class PermissionsPolicyMiddleware:
    """Every response tells the browser which powerful features no page here may use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ConsoleSessionMiddleware:
    """Platform staff sessions end 30 minutes after their last request and 8 hours after
    login, whatever they do; consumers and merchants keep Django's two weeks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            ended = self._ended(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    @staticmethod
    def _ended(request):
        session, now = request.session, int(time.time())
        started = session.get(STAFF_SESSION_STARTED)
        if started is None:
            session[STAFF_SESSION_STARTED] = now
            session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        elif now - started > settings.STAFF_SESSION_SECONDS:
            logout(request)
            messages.info(request, _("Your console session has ended. Log in again."))
            return redirect_to_login(request.get_full_path())
        # Each write moves the idle expiry on; written at most once a minute.
        if now - session.get(STAFF_SESSION_SEEN, 0) >= 60:
            session[STAFF_SESSION_SEEN] = now
        return None


def start_staff_session(sender, request, user, **kwargs):
    """A staff login starts the eight hours (connected to `user_logged_in`)."""
    if user.is_staff:
        request.session[STAFF_SESSION_STARTED] = request.session[STAFF_SESSION_SEEN] = int(
            time.time()
        )
        request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
