"""Every write to deposit accounts, ledger entries and disbursements.

Each function is one transaction (run again on a deadlock, `common.db.atomic_service`)
that locks the store's row and then its account's, in the project's lock order, so two
requests for the same deposit run one after the other. Functions that post entries take an
idempotency key: a second call with the same key returns what the first one wrote and
writes nothing; the same key with other arguments is refused. A call that finds nothing
to do (a capped hold with nothing available, a release with nothing held) writes nothing,
so its key stays free. The account passed in is refreshed in place with the new amounts.

One module a subject, every public name importable from here:

- `_ledger`: the plumbing every movement shares (validation, locks, idempotency, the entries'
  log, telling the store, the top-up state a movement updates)
- `payins`: opening accounts, pay-ins, holds and releases
- `payouts`: payouts to consumers, reimbursements
- `topups`: top-up notices and the restriction
- `leaving`: leaving the platform (exit), forfeiture, adjustments
- `payout_accounts`: payout accounts and destinations, rotating their keys
- `disbursements`: sent, failed, retried
"""

# Reached through this package though they live elsewhere: `held_for` is the selector the
# callers have always read here; the load-data generator signs its entries with `_digest`.
from ..selectors import held_for
from ._ledger import (
    CENT,
    CHINA_TIME,
    MAX_AMOUNT,
    MAX_KEY_LENGTH,
    TOP_UP_PERIOD,
    IdempotencyConflict,
    Kind,
    LedgerResult,
    PayoutResult,
    ledger_logger,
    log_entries,
)
from ._ledger import _digest as _digest
from .disbursements import (
    mark_disbursement_failed,
    mark_disbursement_sent,
    retry_disbursement,
)
from .leaving import (
    EXIT_BLOCKERS,
    EXIT_CLAIM_WINDOW,
    adjust,
    exit_blockers,
    exit_refund,
    forfeit,
    request_exit,
)
from .payins import (
    HoldRequest,
    get_or_open_account,
    hold,
    hold_many,
    record_pay_in,
    release_hold,
)
from .payout_accounts import (
    ENCRYPTED_COLUMNS,
    ROTATION_BATCH,
    Rotation,
    fall_back_to_login,
    note_account_reminder,
    reencrypt_account_numbers,
    save_payout_account,
    set_payout_destination,
)
from .payouts import (
    PayoutRequest,
    pay_out,
    pay_out_in_transaction,
    pay_out_many,
    reimburse,
)
from .topups import (
    recompute_after_store_facts_change,
    request_top_up,
    restrict_lapsed_top_up,
)

__all__ = [
    "CENT",
    "CHINA_TIME",
    "ENCRYPTED_COLUMNS",
    "EXIT_BLOCKERS",
    "EXIT_CLAIM_WINDOW",
    "MAX_AMOUNT",
    "MAX_KEY_LENGTH",
    "ROTATION_BATCH",
    "TOP_UP_PERIOD",
    "HoldRequest",
    "IdempotencyConflict",
    "Kind",
    "LedgerResult",
    "PayoutRequest",
    "PayoutResult",
    "Rotation",
    "adjust",
    "exit_blockers",
    "exit_refund",
    "fall_back_to_login",
    "forfeit",
    "get_or_open_account",
    "held_for",
    "hold",
    "hold_many",
    "ledger_logger",
    "log_entries",
    "mark_disbursement_failed",
    "mark_disbursement_sent",
    "note_account_reminder",
    "pay_out",
    "pay_out_in_transaction",
    "pay_out_many",
    "recompute_after_store_facts_change",
    "record_pay_in",
    "reencrypt_account_numbers",
    "reimburse",
    "release_hold",
    "request_exit",
    "request_top_up",
    "restrict_lapsed_top_up",
    "retry_disbursement",
    "save_payout_account",
    "set_payout_destination",
]
