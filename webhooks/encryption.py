"""Subscription secrets at rest: encrypted with keys of their own, as `common.encryption`
does for account numbers, never with SECRET_KEY or the account-number keys.

`settings.WEBHOOK_SECRET_KEYS` (`DJANGO_WEBHOOK_SECRET_KEYS`, comma-separated Fernet keys)
feeds a `MultiFernet`: the first key encrypts, every key decrypts. The platform must read
the secret back to sign each delivery, so a digest would not do.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks


class UndecryptableError(Exception):
    """No configured key opens the token: a key was dropped while a secret still used it."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.WEBHOOK_SECRET_KEYS))


def encrypt(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError(
            "No key in DJANGO_WEBHOOK_SECRET_KEYS decrypts this webhook secret."
        ) from None


def check_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    keys = settings.WEBHOOK_SECRET_KEYS
    if not keys:
        return [
            checks.Error(
                "DJANGO_WEBHOOK_SECRET_KEYS is empty: webhook secrets cannot be encrypted.",
                id="webhooks.E001",
            )
        ]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                checks.Error(
                    f"Key {position} of DJANGO_WEBHOOK_SECRET_KEYS is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="webhooks.E002",
                )
            )
    return errors


def check_production_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: production never encrypts with the key everyone can read."""
    if settings.DEVELOPMENT_WEBHOOK_SECRET_KEY in settings.WEBHOOK_SECRET_KEYS:
        return [
            checks.Error(
                "Webhook secrets are encrypted with the development key.",
                hint="Set DJANGO_WEBHOOK_SECRET_KEYS to a key of your own (docs/api.md, Webhooks).",
                id="webhooks.E003",
            )
        ]
    return []
