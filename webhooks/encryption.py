"""Subscription secrets at rest: encrypted with keys of their own (`common.encryption`'s key
ring), never with SECRET_KEY or the account-number keys, so rotating one never strands the
other.

`settings.WEBHOOK_SECRET_KEYS` (`DJANGO_WEBHOOK_SECRET_KEYS`, comma-separated Fernet keys):
the first key encrypts, every key decrypts. The platform must read the secret back to sign
each delivery, so a digest would not do.
"""

from common.encryption import KeyRing, UndecryptableError

SECRETS = KeyRing(
    setting="WEBHOOK_SECRET_KEYS",
    development_setting="DEVELOPMENT_WEBHOOK_SECRET_KEY",
    what="webhook secret",
    check_id="webhooks",
    docs="docs/api.md, Webhooks",
)
encrypt = SECRETS.encrypt
decrypt = SECRETS.decrypt


# System checks are plain functions: Django marks each with its tags.
def check_keys(app_configs=None, **kwargs):
    return SECRETS.check_keys()


def check_production_keys(app_configs=None, **kwargs):
    return SECRETS.check_production_keys()


__all__ = ["UndecryptableError", "check_keys", "check_production_keys", "decrypt", "encrypt"]
