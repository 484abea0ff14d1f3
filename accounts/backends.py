from contextlib import suppress

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from .identifiers import normalize_identifier


class IdentifierBackend(ModelBackend):
    """Log in with an e-mail address or mobile number in any common spelling."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        # Staff accounts may have plain usernames, which stay as typed.
        with suppress(ValidationError):
            username = normalize_identifier(username)
        return super().authenticate(request, username=username, password=password, **kwargs)
