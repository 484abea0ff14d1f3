"""The deposit console: policies, accounts, the ledger and disbursements, each registered by
its own module."""

from . import accounts, disbursements, ledger, policies  # noqa: F401 - they register
