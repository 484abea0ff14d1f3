"""Where a complaint is in its life, for the stage bar on both parties' complaint page:
negotiation → platform review → decision → payout → appeal."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from deposits.models import Disbursement

from .models import Complaint

Status = Complaint.Status
Closure = Complaint.ClosureReason

STAGES = (
    _("Negotiation"),
    _("Platform review"),
    _("Decision"),
    _("Payout"),
    _("Appeal"),
)
NEGOTIATION, REVIEW, DECISION, PAYOUT, APPEAL = range(len(STAGES))

# Each status: the stage it is in now, or None once the complaint has ended there.
CURRENT = {
    Status.NEGOTIATING: NEGOTIATION,
    Status.UNDER_REVIEW: REVIEW,
    Status.AWAITING_INFO: REVIEW,
    Status.AWAITING_APPROVAL: DECISION,
    Status.AWAITING_MERCHANT_PAYMENT: PAYOUT,
    Status.UNDER_APPEAL: APPEAL,
}


@dataclass(frozen=True)
class Stage:
    label: str
    # "done", "current", "next" (still ahead) or "skipped" (the complaint went another way)
    state: str


def stages(complaint: Complaint, payouts=()) -> list[Stage]:
    """`payouts`: the complaint's payouts to the consumer; while one is unsent the money is
    still on its way, so the payout stage is the current one."""
    states = _states(complaint, sending=any(p.status != Disbursement.Status.SENT for p in payouts))
    return [Stage(str(label), state) for label, state in zip(STAGES, states, strict=True)]


def _states(complaint: Complaint, *, sending: bool) -> list[str]:
    status = complaint.status
    paid = complaint.paid_at is not None
    if status in CURRENT:
        current = CURRENT[status]
        states = ["done"] * current + ["current"] + ["next"] * (len(STAGES) - current - 1)
        if status == Status.UNDER_APPEAL and not paid:
            states[PAYOUT] = "skipped"  # rejected: nothing was paid before the appeal
        return states
    if status in (Status.SETTLED, Status.WITHDRAWN) or complaint.closure_reason in (
        Closure.SETTLED_CLAIM,
        Closure.SETTLED_OFFER,
        Closure.WITHDRAWN,
        Closure.LAPSED,
    ):
        return ["done"] + ["skipped"] * (len(STAGES) - 1)
    payout = "current" if sending else "done" if paid else "skipped"
    if status in (Status.PAID, Status.REJECTED):
        # Decided; an appeal may still come within its window.
        return ["done", "done", "done", payout, "next"]
    appeal = "done" if complaint.closure_reason == Closure.APPEAL_RESOLVED else "skipped"
    return ["done", "done", "done", payout, appeal]
