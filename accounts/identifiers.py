"""Marketplace accounts are named by an e-mail address or a mainland mobile number."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_identifier(raw: str) -> str:
    """Return the canonical form of an e-mail or mobile number, or raise ValidationError."""
    value = (raw or "").strip()
    if "@" in value:
        value = value.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("Enter a valid e-mail address."), code="invalid_email"
            ) from None
        return value
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if MOBILE_RE.match(digits):
        return digits
    raise ValidationError(
        _("Enter an e-mail address or an 11-digit mainland mobile number."),
        code="invalid_identifier",
    )


def is_mobile(identifier: str) -> bool:
    return bool(MOBILE_RE.match(identifier))
