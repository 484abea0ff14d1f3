"""How each story ends: the state mix of a live marketplace, and the steps to each end."""

from itertools import accumulate
from typing import TYPE_CHECKING

from ..models import Party
from .base import DAY, K, LoadDataError, S

if TYPE_CHECKING:
    from .story import Story


# How each story ends (roughly the state mix of a live marketplace) and, for the ones
# still open, how many days before now a first telling starts.
ENDINGS = {
    "negotiating": (25, 5),
    "settled": (15, None),
    "withdrawn": (5, None),
    "lapsed": (10, None),
    "under_review": (8, 12),
    "awaiting_info": (2, 9),
    "awaiting_approval": (1, 10),
    "awaiting_merchant_payment": (2, 9),
    "paid": (12, 10),
    "rejected": (6, 9),
    "under_appeal": (2, 14),
    "closed": (11, None),
    "appeal_resolved": (1, None),
}
KINDS = {
    K.COUNTERFEIT: 8,
    K.SEVEN_DAY_RETURN: 18,
    K.AFTER_SALES: 12,
    K.DESCRIPTION_MISMATCH: 27,
    K.FALSE_ADVERTISING: 9,
    K.PRICE_FRAUD: 6,
    K.LATE_SHIPPING: 20,
}
# Awards above the approval threshold: a multiple of an expensive order.
BIG_KINDS = (K.COUNTERFEIT, K.FALSE_ADVERTISING, K.PRICE_FRAUD)


def _negotiating(s: "Story") -> None:
    r = s.rng.random()
    if r < 0.35:
        return s.keep_open(deadline=s.c.due_at)  # the merchant has not answered yet
    if r < 0.6:
        s.refuse()
        return s.keep_open(deadline=s.c.lapses_at)
    offer = s.make_offer()
    if r < 0.8:
        return s.keep_open(deadline=offer["expires_at"])
    if r < 0.9:
        s.decline_offer()
    else:
        s.expire_offer()
    s.keep_open(deadline=s.c.lapses_at)


def _settled(s: "Story") -> None:
    s.settle()


def _withdrawn(s: "Story") -> None:
    r = s.rng.random()
    if r < 0.35:
        s.wait_in_stage(0.5, 40)
    elif r < 0.55:
        s.refuse()
        s.wait_in_stage(1, 150)
    else:
        s.escalate_somehow()
        if r < 0.9:
            if s.rng.random() < 0.6:
                s.take()
        else:
            s.take()
            s.wait(1, 48)
            s.request_info(s.asked_party())
        s.wait_in_stage(1, 60)
    s.withdraw()


def _lapsed(s: "Story") -> None:
    r = s.rng.random()
    if r < 0.6:
        s.refuse()
    else:
        s.make_offer()
        if r < 0.8:
            s.decline_offer()
        else:
            s.expire_offer()
    s.lapse()


def _under_review(s: "Story") -> None:
    s.escalate_somehow()
    escalated_at = s.c.escalated_at
    if s.rng.random() < 0.2:
        return s.keep_open(since=escalated_at, max_age=2 * DAY)  # still in the queue
    s.investigate(info=0.25)
    if s.suggested > s.w.approval_threshold and s.rng.random() < 0.3:
        s.wait(2, 72)
        s.decide(pay_first=False, full=True)
        s.wait(1, 48)
        s.send_back()
    s.keep_open(since=escalated_at, max_age=10 * DAY)


def _awaiting_info(s: "Story") -> None:
    s.escalate_somehow()
    s.investigate(info=0.1)
    s.wait(1, 48)
    r = s.rng.random()
    s.request_info(Party.MERCHANT if 0.6 <= r < 0.85 else Party.CONSUMER)
    if r >= 0.85:
        s.wait_in_stage(0, 2)
        s.request_info(Party.MERCHANT)
    s.keep_open(deadline=s.c.due_at)


def _awaiting_approval(s: "Story") -> None:
    s.decide_case(approve=False, full=True)
    if s.c.status != S.AWAITING_APPROVAL:
        raise LoadDataError(f"story {s.index}: the award needs no approval")
    s.keep_open(since=s.t, max_age=6 * DAY)


def _awaiting_merchant_payment(s: "Story") -> None:
    s.decide_case(pay_first=True)
    s.keep_open(deadline=s.c.due_at)


def _paid(s: "Story") -> None:
    s.decide_case()
    s.pay_first_or_charge()
    s.keep_open(deadline=s.c.due_at)  # the appeal window


def _rejected(s: "Story") -> None:
    s.reject_case()
    s.keep_open(deadline=s.c.due_at)


def _under_appeal(s: "Story") -> None:
    s.paid_or_rejected(0.7)
    appeal = s.file_appeal()
    r = s.rng.random()
    if r < 0.5:
        return s.keep_open(deadline=appeal["response_due_at"])
    if r < 0.8:
        s.respond_to_appeal()
    else:
        s.lapse_appeal_response()
    s.keep_open(since=s.t, max_age=5 * DAY)


def _closed(s: "Story") -> None:
    s.paid_or_rejected(0.75)
    s.close()


def _appeal_resolved(s: "Story") -> None:
    s.paid_or_rejected(0.75)
    s.file_appeal()
    if s.rng.random() < 0.7:
        s.respond_to_appeal()
    else:
        s.lapse_appeal_response()
    s.resolve_appeal()


STORIES = {
    "negotiating": _negotiating,
    "settled": _settled,
    "withdrawn": _withdrawn,
    "lapsed": _lapsed,
    "under_review": _under_review,
    "awaiting_info": _awaiting_info,
    "awaiting_approval": _awaiting_approval,
    "awaiting_merchant_payment": _awaiting_merchant_payment,
    "paid": _paid,
    "rejected": _rejected,
    "under_appeal": _under_appeal,
    "closed": _closed,
    "appeal_resolved": _appeal_resolved,
}
ENDING_NAMES = tuple(ENDINGS)
ENDING_WEIGHTS = tuple(accumulate(weight for weight, _days in ENDINGS.values()))
KIND_NAMES = tuple(KINDS)
KIND_WEIGHTS = tuple(KINDS.values())
