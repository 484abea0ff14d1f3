"""Where money leaving the platform goes: an Alipay account or a bank card, checked,
masked and encrypted (common/encryption.py).

Nothing here touches the database: the services check what a person typed with these
functions and store a `Destination`, whose number is only ever held encrypted.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import normalize_identifier
from accounts.masking import mask_identifier
from common import encryption

ALIPAY, BANK = "alipay", "bank"
CARD_DIGITS = range(12, 20)
NAME_MAX_LENGTH = 60


def normalize_alipay_account(raw: str) -> str:
    """An Alipay account is named by its e-mail address or mainland mobile number."""
    try:
        return normalize_identifier(raw)
    except ValidationError:
        raise ValidationError(
            _(
                "Enter the e-mail address or the 11-digit mainland mobile number of the "
                "Alipay account."
            ),
            code="invalid_alipay",
        ) from None


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def normalize_card_number(raw: str) -> str:
    """A Chinese bank card number: 12 to 19 digits (spaces and hyphens ignored) that pass
    the Luhn check every UnionPay debit card carries, which catches most typing slips."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits.isdigit() or len(digits) not in CARD_DIGITS:
        raise ValidationError(
            _("Enter the card number: 12 to 19 digits."), code="invalid_card_number"
        )
    if not _luhn_valid(digits):
        raise ValidationError(
            _("This card number is not valid: check the digits."), code="card_number_checksum"
        )
    return digits


def _required_name(value: str, *, message) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(message, code="required")
    if len(text) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("At most %(max)s characters."), code="too_long", params={"max": NAME_MAX_LENGTH}
        )
    return text


def mask_account(number: str) -> str:
    """6222021234567890123 → **** 0123; a***@example.com; 138****1234; anything else ***."""
    if number.isdigit() and len(number) >= min(CARD_DIGITS):
        return f"**** {number[-4:]}"
    return mask_identifier(number) if number else ""


@dataclass(frozen=True)
class Destination:
    """Where one payout goes, as it is stored: the number encrypted, its masked form to
    show. The plain number is never kept: `number()` decrypts it for finance only."""

    method: str
    number_encrypted: str = field(repr=False)
    number_masked: str
    bank_name: str = ""
    holder_name: str = ""

    @classmethod
    def of(cls, *, method: str, number: str, bank_name: str = "", holder_name: str = ""):
        """A destination from a number already checked (or a login, which is)."""
        return cls(
            method=method,
            number_encrypted=encryption.encrypt(number) if number else "",
            number_masked=mask_account(number),
            bank_name=bank_name,
            holder_name=holder_name,
        )

    @classmethod
    def checked(cls, *, method: str, number: str, bank_name: str = "", holder_name: str = ""):
        """What a person typed, checked field by field; every problem at once."""
        errors = {}
        if method == ALIPAY:
            try:
                number = normalize_alipay_account(number)
            except ValidationError as error:
                errors["number"] = error
            bank_name = holder_name = ""
        elif method == BANK:
            checks = {
                "number": lambda: normalize_card_number(number),
                "bank_name": lambda: _required_name(bank_name, message=_("Enter the bank.")),
                "holder_name": lambda: _required_name(
                    holder_name, message=_("Enter the name on the card.")
                ),
            }
            values = {}
            for name, check in checks.items():
                try:
                    values[name] = check()
                except ValidationError as error:
                    errors[name] = error
            number = values.get("number", "")
            bank_name = values.get("bank_name", "")
            holder_name = values.get("holder_name", "")
        else:
            errors["method"] = ValidationError(
                _("Choose Alipay or a bank card."), code="invalid_method"
            )
        if errors:
            raise ValidationError(errors)
        return cls.of(method=method, number=number, bank_name=bank_name, holder_name=holder_name)

    @classmethod
    def alipay_login(cls, user):
        """The Alipay account named by the user's login: where payouts went before anyone
        could choose, and still go when nobody does."""
        return cls.of(method=ALIPAY, number=user.username)

    def number(self) -> str:
        return encryption.decrypt(self.number_encrypted) if self.number_encrypted else ""
