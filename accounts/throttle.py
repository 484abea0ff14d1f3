"""Limits on what asks the platform to send a link or set a password (django-ratelimit,
counted in the default cache: Redis, which every server shares, in production).

django-ratelimit rather than axes: axes counts failed logins, and these requests do not
fail; a rate per key is what they need.
"""

from django.conf import settings
from django_ratelimit.core import is_ratelimited

# Requests from one network address, per hour: generous for a family or an office.
FROM_ONE_ADDRESS = "20/h"
# Links sent to one e-mail address or mobile number, per hour; beyond it the page says the
# same as always and nothing is sent (the person already has a fresh link).
TO_ONE_IDENTIFIER = "3/h"


def client_address(group, request) -> str:
    """The client's address: the proxy's last hop when behind the TLS proxy (the one entry
    of X-Forwarded-For the client cannot forge), the connection's otherwise."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def too_many_from_address(request, group: str) -> bool:
    return is_ratelimited(
        request, group=group, key=client_address, rate=FROM_ONE_ADDRESS, increment=True
    )


def too_many_to(request, identifier: str) -> bool:
    return too_many(request, group="accounts:link-to", key=identifier, rate=TO_ONE_IDENTIFIER)


def too_many(request, *, group: str, key: str, rate: str) -> bool:
    """Whether this request goes past `rate` for `key` (a store, an address...); counts it."""
    return is_ratelimited(
        request, group=group, key=lambda group, request: key, rate=rate, increment=True
    )
