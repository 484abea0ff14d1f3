"""The box at the top of every complaint page: what this viewer can do now, and by when."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from deposit_claims.templatetags.ui import money

from .models import Complaint

Status = Complaint.Status
Answer = Complaint.MerchantAnswer


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    primary: bool = False
    needs_form: bool = False
    confirm: str = ""


@dataclass
class NextStep:
    headline: str
    deadline: datetime | None = None
    actions: list[Action] = field(default_factory=list)


CONSUMER_ACTIONS = (
    ("accept_offer", Action("accept-offer", _("Accept the offer"), primary=True)),
    ("decline_offer", Action("decline-offer", _("Decline the offer"))),
    (
        "escalate",
        Action(
            "escalate",
            _("Ask the platform to step in"),
            primary=True,
            confirm=_(
                "The platform will review the case and may hold part of the merchant's deposit."
            ),
        ),
    ),
    ("reopen", Action("reopen", _("Report the settlement unpaid"), primary=True)),
    (
        "withdraw",
        Action(
            "withdraw",
            _("Withdraw the complaint"),
            confirm=_("A withdrawn complaint cannot be filed again."),
        ),
    ),
)

MERCHANT_ACTIONS = (
    (
        "accept_claim",
        Action(
            "accept",
            _("Accept the claim"),
            primary=True,
            confirm=_("You will pay the consumer the claimed amount directly."),
        ),
    ),
    ("make_offer", Action("offer", _("Make an offer"), needs_form=True)),
    ("refuse", Action("refuse", _("Refuse with a reason"), needs_form=True)),
)


def _available(complaint, user, catalogue):
    actions = [
        action
        for method, action in catalogue
        if has_transition_perm(getattr(complaint, method), user)
    ]
    if sum(a.primary for a in actions) > 1:
        first = next(a for a in actions if a.primary)
        actions = [
            a if a is first else Action(a.name, a.label, False, a.needs_form, a.confirm)
            for a in actions
        ]
    return actions


def for_consumer(complaint: Complaint, user) -> NextStep:
    actions = _available(complaint, user, CONSUMER_ACTIONS)
    offer = complaint.open_offer
    status = complaint.status
    if status == Status.NEGOTIATING:
        if offer is not None:
            return NextStep(
                _("The merchant offers %(amount)s. Accept or decline it.")
                % {"amount": money(offer.total)},
                offer.expires_at,
                actions,
            )
        if not complaint.merchant_answer:
            return NextStep(_("Waiting for the merchant to answer."), complaint.due_at, actions)
        return NextStep(
            _(
                "No agreement yet. Ask the platform to step in, "
                "or the complaint closes at the deadline."
            ),
            complaint.due_at,
            actions,
        )
    if status == Status.SETTLED:
        text = _("Settled for %(amount)s: the merchant pays you directly.") % {
            "amount": money(complaint.settled_amount)
        }
        if actions:
            text = _("%(settled)s Not paid? Report it before the deadline.") % {"settled": text}
        return NextStep(text, complaint.reopen_until if actions else None, actions)
    return _platform_or_closed(complaint, actions)


def for_merchant(complaint: Complaint, user) -> NextStep:
    actions = _available(complaint, user, MERCHANT_ACTIONS)
    offer = complaint.open_offer
    status = complaint.status
    if status == Status.NEGOTIATING:
        if not complaint.merchant_answer:
            return NextStep(
                _("Answer the complaint: accept it, make an offer, or refuse with a reason."),
                complaint.due_at,
                actions,
            )
        if offer is not None:
            return NextStep(
                _("Waiting for the consumer to answer your offer of %(amount)s.")
                % {"amount": money(offer.total)},
                offer.expires_at,
                actions,
            )
        return NextStep(
            _("Waiting for the consumer: they may ask the platform to step in until the deadline."),
            complaint.due_at,
            actions,
        )
    if status == Status.SETTLED:
        return NextStep(
            _("Settled: pay the consumer %(amount)s directly.")
            % {"amount": money(complaint.settled_amount)},
            None,
            actions,
        )
    return _platform_or_closed(complaint, actions)


def _platform_or_closed(complaint, actions) -> NextStep:
    status = complaint.status
    if status == Status.UNDER_REVIEW:
        return NextStep(
            _("The platform is reviewing the case; %(held)s of the deposit is held for it.")
            % {"held": money(complaint.held_amount)},
            None,
            actions,
        )
    if status in (Status.WITHDRAWN, Status.CLOSED):
        return NextStep(
            _("Closed: %(reason)s.") % {"reason": complaint.get_closure_reason_display()},
            None,
            actions,
        )
    return NextStep(complaint.get_status_display(), complaint.due_at, actions)
