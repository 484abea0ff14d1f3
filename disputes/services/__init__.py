"""Every write to complaints: one atomic function per user action or system step.

Each one locks the complaint row, checks the actor's right and the state with
`has_transition_perm`, runs the pure transition, writes the related rows (and ledger
entries through `deposits.services`), saves, and notifies the parties on commit.

One module a stage, every public name importable from here:

- `_common`: what every stage shares (locks, saving, checks, pages, notices, evidence, holds)
- `filing`: filing a complaint
- `conversation`: messages and evidence
- `notices`: marking notifications read, notification settings
- `negotiation`: answers, offers, withdrawal, and the deadlines' steps in negotiation
- `intervention`: escalation, reopening an unpaid settlement, settlements paid directly
- `review`: taking cases, information requests, the overdue flag
- `decisions`: deciding, approving, sending back, rejecting, the merchant paying first
- `payouts`: paying award lines, where the consumer is paid
- `appeals`: appeals, and closing when nobody appeals
"""

from .appeals import (
    appeal_complaint,
    close_complaint,
    lapse_appeal_response,
    resolve_appeal,
    respond_to_appeal,
)
from .charges import charge_deposits
from .conversation import (
    add_evidence_files,
    post_message,
)
from .decisions import (
    LINE_NAMES,
    LineInput,
    approve_decision,
    charge_deposit,
    confirm_merchant_payment,
    decide_complaint,
    reject_complaint,
    send_back_decision,
)
from .filing import (
    file_complaint,
)
from .intervention import (
    escalate_complaint,
    escalate_silent_merchants,
    record_direct_payment,
    reopen_complaint,
)
from .negotiation import (
    accept_claim,
    accept_offer,
    decline_offer,
    expire_offer,
    lapse_complaint,
    make_offer,
    refuse_claim,
    send_reminder,
    withdraw_complaint,
)
from .notices import (
    mark_notification_read,
    save_notification_settings,
)
from .payouts import (
    choose_payout_account,
    fall_back_payout_destination,
    remind_payout_account,
)
from .review import (
    flag_decision_overdue,
    lapse_info_requests,
    request_info,
    submit_info,
    take_case,
    take_next_case,
)

__all__ = [
    "LINE_NAMES",
    "LineInput",
    "accept_claim",
    "accept_offer",
    "add_evidence_files",
    "appeal_complaint",
    "approve_decision",
    "charge_deposit",
    "charge_deposits",
    "choose_payout_account",
    "close_complaint",
    "confirm_merchant_payment",
    "decide_complaint",
    "decline_offer",
    "escalate_complaint",
    "escalate_silent_merchants",
    "expire_offer",
    "fall_back_payout_destination",
    "file_complaint",
    "flag_decision_overdue",
    "lapse_appeal_response",
    "lapse_complaint",
    "lapse_info_requests",
    "make_offer",
    "mark_notification_read",
    "post_message",
    "record_direct_payment",
    "refuse_claim",
    "reject_complaint",
    "remind_payout_account",
    "reopen_complaint",
    "request_info",
    "resolve_appeal",
    "respond_to_appeal",
    "save_notification_settings",
    "send_back_decision",
    "send_reminder",
    "submit_info",
    "take_case",
    "take_next_case",
    "withdraw_complaint",
]
