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

from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks


class UndecryptableError(Exception):
    """No configured key opens the token: a key was dropped before its rotation ran."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@dataclass(frozen=True)
class KeyRing:
    """Fernet keys of one purpose, read from the setting `setting` (the environment's
    `DJANGO_<setting>`): the first encrypts, every one decrypts. `what` names what they
    protect in messages; `check_id` prefixes the system checks' ids."""

    setting: str
    development_setting: str
    what: str
    check_id: str
    docs: str

    @property
    def variable(self) -> str:
        return f"DJANGO_{self.setting}"

    def _current(self) -> MultiFernet:
        # Keyed by the keys themselves, so a changed setting (a test, a rotation) takes effect.
        return _fernet(tuple(getattr(settings, self.setting)))

    def encrypt(self, text: str) -> str:
        return self._current().encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._current().decrypt(token.encode()).decode()
        except InvalidToken:
            raise self._undecryptable() from None

    def rotate(self, token: str) -> str:
        """The same text encrypted under the first key (and with a fresh time and IV)."""
        try:
            return self._current().rotate(token.encode()).decode()
        except InvalidToken:
            raise self._undecryptable() from None

    def _undecryptable(self) -> UndecryptableError:
        return UndecryptableError(f"No key in {self.variable} decrypts this {self.what}.")

    def check_keys(self, app_configs=None, **kwargs) -> list[checks.CheckMessage]:
        """Every configured key is a Fernet key: a typo stops the server before it writes."""
        keys = getattr(settings, self.setting)
        if not keys:
            return [
                checks.Error(
                    f"{self.variable} is empty: {self.what}s cannot be encrypted.",
                    id=f"{self.check_id}.E001",
                )
            ]
        errors = []
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                errors.append(
                    checks.Error(
                        f"Key {position} of {self.variable} is not a Fernet key.",
                        hint="Make one with: python -c 'from cryptography.fernet import "
                        "Fernet; print(Fernet.generate_key().decode())'",
                        id=f"{self.check_id}.E002",
                    )
                )
        return errors

    def check_production_keys(self, app_configs=None, **kwargs) -> list[checks.CheckMessage]:
        """`check --deploy`: production never encrypts with the key everyone can read."""
        if getattr(settings, self.development_setting) in getattr(settings, self.setting):
            return [
                checks.Error(
                    f"{self.what.capitalize()}s are encrypted with the development key.",
                    hint=f"Set {self.variable} to a key of your own ({self.docs}).",
                    id=f"{self.check_id}.E003",
                )
            ]
        return []


ACCOUNT_NUMBERS = KeyRing(
    setting="PAYOUT_ACCOUNT_KEYS",
    development_setting="DEVELOPMENT_PAYOUT_ACCOUNT_KEY",
    what="account number",
    check_id="payouts",
    docs="docs/deployment.md",
)
encrypt = ACCOUNT_NUMBERS.encrypt
decrypt = ACCOUNT_NUMBERS.decrypt
rotate = ACCOUNT_NUMBERS.rotate


# System checks are plain functions: Django marks each with its tags.
def check_keys(app_configs=None, **kwargs):
    return ACCOUNT_NUMBERS.check_keys()


def check_production_keys(app_configs=None, **kwargs):
    return ACCOUNT_NUMBERS.check_production_keys()
