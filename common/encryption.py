"""Account numbers at rest: encrypted with keys of their own, never with SECRET_KEY.

`settings.PAYOUT_ACCOUNT_KEYS` (`DJANGO_PAYOUT_ACCOUNT_KEYS`, comma-separated Fernet keys)
feeds a `MultiFernet`: the first key encrypts, every key decrypts. Rotating is putting a
new key first, running `manage.py rotate_payout_keys` (which re-encrypts every stored
number under it), then dropping the old key. A leaked SECRET_KEY (sessions, password
links) therefore never opens a bank card number, and the two are rotated apart.

A column encrypted here holds a Fernet token: base64 text that says nothing of the number
(the time of encryption aside). Show people the masked form stored beside it; decrypt only
for the person who sends the money.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks


class UndecryptableError(Exception):
    """No configured key opens the token: a key was dropped before its rotation ran."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed by the keys themselves, so a changed setting (a test, a rotation) takes effect.
    return _fernet(tuple(settings.PAYOUT_ACCOUNT_KEYS))


def encrypt(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError(
            "No key in DJANGO_PAYOUT_ACCOUNT_KEYS decrypts this account number."
        ) from None


def rotate(token: str) -> str:
    """The same text encrypted under the first key (and with a fresh time and IV)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError(
            "No key in DJANGO_PAYOUT_ACCOUNT_KEYS decrypts this account number."
        ) from None


def check_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every configured key is a Fernet key: a typo stops the server before it writes."""
    keys = settings.PAYOUT_ACCOUNT_KEYS
    if not keys:
        return [
            checks.Error(
                "DJANGO_PAYOUT_ACCOUNT_KEYS is empty: account numbers cannot be encrypted.",
                id="payouts.E001",
            )
        ]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                checks.Error(
                    f"Key {position} of DJANGO_PAYOUT_ACCOUNT_KEYS is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="payouts.E002",
                )
            )
    return errors


def check_production_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: production never encrypts with the key everyone can read."""
    if settings.DEVELOPMENT_PAYOUT_ACCOUNT_KEY in settings.PAYOUT_ACCOUNT_KEYS:
        return [
            checks.Error(
                "Account numbers are encrypted with the development key.",
                hint="Set DJANGO_PAYOUT_ACCOUNT_KEYS to a key of your own (docs/deployment.md).",
                id="payouts.E003",
            )
        ]
    return []
