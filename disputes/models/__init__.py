"""The complaints' models, one module a stage; every name stays importable from here.

- `rules`: compensation rules, deadline policies, public holidays
- `complaint`: the complaint and its state machine
- `negotiation`: offers, messages, evidence, direct payments
- `review`: information requests, decisions, award lines, consumer strikes
- `appeals`: appeals
- `notifications`: in-site notifications
"""

from .appeals import Appeal
from .complaint import COMPLAINT_REFERENCE, QUEUE_ORDER, ZERO, Complaint
from .negotiation import DirectPayment, Evidence, Message, Offer, Party, evidence_path
from .notifications import Notification
from .review import AwardLine, ConsumerStrike, Decision, InfoRequest
from .rules import CompensationRule, DeadlinePolicy, EffectiveDated, Holiday

__all__ = [
    "COMPLAINT_REFERENCE",
    "QUEUE_ORDER",
    "ZERO",
    "Appeal",
    "AwardLine",
    "CompensationRule",
    "Complaint",
    "ConsumerStrike",
    "DeadlinePolicy",
    "Decision",
    "DirectPayment",
    "EffectiveDated",
    "Evidence",
    "Holiday",
    "InfoRequest",
    "Message",
    "Notification",
    "Offer",
    "Party",
    "evidence_path",
]
