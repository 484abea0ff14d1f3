"""Login lockout (django-axes): after 5 wrong passwords for one account, that account
cannot log in for a cool-off that doubles with each further 5 failures within a day,
from 15 minutes up to a day. A senior reviewer or superuser lifts it in the console
(Access attempts: delete the account's row).

The attempts are rows in the database every app server shares, so all servers agree and
the console lists them.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from .identifiers import normalize_identifier

FAILURE_LIMIT = 5
FIRST_COOL_OFF = timedelta(minutes=15)
LONGEST_COOL_OFF = timedelta(days=1)
MEMORY = timedelta(days=1)


def username_of(request, credentials) -> str:
    """The account a login names, spelled as the login backend reads it, so another
    spelling of one mobile number or address counts against the same account."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    try:
        return normalize_identifier(raw)
    except ValidationError:
        return raw.strip().lower()


def cool_off(request) -> timedelta:
    from axes.models import AccessFailureLog

    username = username_of(request, None) if request is not None else ""
    failures = (
        AccessFailureLog.objects.filter(
            username=username, attempt_time__gte=timezone.now() - MEMORY
        ).count()
        if username
        else 0
    )
    lockouts = max(failures // FAILURE_LIMIT, 1)
    return min(FIRST_COOL_OFF * 2 ** (lockouts - 1), LONGEST_COOL_OFF)


def locked_out_response(request, original_response=None, credentials=None):
    """The login page's answer while the account is locked: the same for an account that
    does not exist, so it reveals nothing."""
    until = timezone.now() + cool_off(request)
    return render(request, "accounts/locked_out.html", {"until": until}, status=429)
