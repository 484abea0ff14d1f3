"""Writes of the merchants layer, one module per subject: importing the marketplace's
orders, changing store facts, and the owner's management of the staff. The public names
are importable from here."""

from .orders import (
    ROW,
    ImportResult,
    OrderImportError,
    OrderRowsError,
    RowError,
    import_orders,
    upsert_orders,
)
from .staff import (
    INVALID_INVITATION,
    STAFF_REMOVED,
    Grants,
    accept_invitation,
    change_staff_grants,
    invite_staff,
    refusal_to_join,
    remove_staff,
    withdraw_invitation,
)
from .store_facts import STORE_FACTS_CHANGED, change_store_facts

__all__ = [
    "INVALID_INVITATION",
    "ROW",
    "STAFF_REMOVED",
    "STORE_FACTS_CHANGED",
    "Grants",
    "ImportResult",
    "OrderImportError",
    "OrderRowsError",
    "RowError",
    "accept_invitation",
    "change_staff_grants",
    "change_store_facts",
    "import_orders",
    "invite_staff",
    "refusal_to_join",
    "remove_staff",
    "upsert_orders",
    "withdraw_invitation",
]
