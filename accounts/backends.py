from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from .identifiers import normalize_identifier


class IdentifierBackend(ModelBackend):
    """Log in with an e-mail address or mobile number in any common spelling."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        try:
            username = normalize_identifier(username)
        except ValidationError:
            pass  # staff accounts may have plain usernames
        return super().authenticate(request, username=username, password=password, **kwargs)
