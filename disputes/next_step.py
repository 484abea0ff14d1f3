"""The box at the top of every complaint page: what this viewer can do now, and by when."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from common.dates import format_moment
from deposit_claims.templatetags.ui import money

from . import payouts, selectors
from .models import Complaint, Decision, Party
from .permissions import act_for_merchant

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
    detail: str = ""  # e.g. the platform's question, quoted under the headline
    note: str = ""  # e.g. the remedies beyond the platform, once closed

    @property
    def buttons(self) -> list[Action]:
        """The actions that are one button each; the others open a form."""
        return [a for a in self.actions if not a.needs_form]


CONSUMER_ACTIONS = (
    ("accept_offer", Action("accept-offer", _("Accept the offer"), primary=True)),
    # Irreversible steps open a form first: it says what follows and asks what it needs.
    ("decline_offer", Action("decline-offer", _("Decline the offer"), needs_form=True)),
    (
        "escalate",
        Action(
            "escalate",
            _("Ask the platform to step in"),
            primary=True,
            needs_form=True,
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
            needs_form=True,
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
            needs_form=True,
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


CHOOSE_PAYOUT_ACCOUNT = Action(
    "payout-account", _("Choose your payout account"), primary=True, needs_form=True
)


def for_consumer(complaint: Complaint, user) -> NextStep:
    step = _consumer_step(complaint, user)
    waiting = payouts.waiting_for_account(selectors.consumer_payouts(complaint))
    if not waiting:
        return step
    # Money waits for the consumer: that comes first, whatever else they may still do.
    note = step.note
    if _has(step.actions, APPEAL):
        note = _("If you disagree with the decision, you can appeal once until %(date)s.") % {
            "date": _when(complaint.due_at)
        }
    return NextStep(
        _(
            "%(amount)s is ready to be sent to you. Choose where you want it before the "
            "deadline; after it, the money goes to the Alipay account of your login."
        )
        % {"amount": money(sum((payout.amount for payout in waiting), Decimal(0)))},
        min(payout.account_due_at for payout in waiting),
        _with_primary_first([CHOOSE_PAYOUT_ACCOUNT, *step.actions]),
        note=note,
    )


def _consumer_step(complaint: Complaint, user) -> NextStep:
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
        payment = direct_payment_of(complaint)
        if payment is not None:
            text = _(
                "The merchant records paying you %(amount)s on %(date)s. "
                "Check that the money arrived."
            ) % {"amount": money(payment.amount), "date": _when(payment.paid_at)}
        if actions:
            text = _("%(settled)s Not paid? Report it before the deadline.") % {"settled": text}
        return NextStep(text, complaint.reopen_until if actions else None, actions)
    return _platform_or_closed(complaint, user, Party.CONSUMER, actions)


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
        payment = direct_payment_of(complaint)
        if payment is not None:
            return NextStep(
                _("You recorded paying %(amount)s on %(date)s.")
                % {"amount": money(payment.amount), "date": _when(payment.paid_at)},
                None,
                actions,
                note=_(
                    "If the consumer reports the settlement unpaid within its window, "
                    "the platform reviews it with your proof."
                ),
            )
        # Only the store's own staff reach this page; the service checks the rest.
        if act_for_merchant(complaint, user):
            actions = [*actions, RECORD_PAYMENT]
        return NextStep(
            _("Settled: pay the consumer %(amount)s directly.")
            % {"amount": money(complaint.settled_amount)},
            None,
            actions,
            note=_("Then record the payment with its voucher, so the consumer can check it."),
        )
    return _platform_or_closed(complaint, user, Party.MERCHANT, actions)


RECORD_PAYMENT = Action("record-payment", _("Record the payment"), primary=True, needs_form=True)


def direct_payment_of(complaint):
    """The merchant's recorded payment of the settlement, if any (selected with the page)."""
    return getattr(complaint, "direct_payment", None)


def _when(moment) -> str:
    return format_moment(timezone.localtime(moment))


ANSWER_INFO = Action("answer-info", _("Answer the platform"), primary=True, needs_form=True)
CONFIRM_PAYMENT = Action("confirm-payment", _("Confirm the payment"), primary=True, needs_form=True)
APPEAL = Action("appeal", _("Appeal the decision"), needs_form=True)
RESPOND_TO_APPEAL = Action(
    "respond-appeal", _("Respond to the appeal"), primary=True, needs_form=True
)


def _party_name(party: str):
    return _("the consumer") if party == Party.CONSUMER else _("the merchant")


def _other(party: str) -> str:
    return Party.MERCHANT if party == Party.CONSUMER else Party.CONSUMER


def open_info_request(complaint, party: str):
    """The platform's unanswered question to this party, if any (from the prefetch)."""
    return next((r for r in complaint.info_requests.all() if r.party == party and r.is_open), None)


def appeal_of(complaint):
    return getattr(complaint, "appeal_record", None)


def may_respond_to_appeal(complaint, party: str) -> bool:
    appeal = appeal_of(complaint)
    return (
        complaint.status == Status.UNDER_APPEAL
        and appeal is not None
        and appeal.party != party
        and not appeal.ready_for_resolution
    )


def paid_by_merchant(decision) -> bool:
    return any(line.paid_by_merchant for line in decision.lines.all())


def payout_status(complaint, decision) -> str:
    """Where the money of a final decision stands, in words both parties understand."""
    if decision is None or decision.outcome != Decision.Outcome.UPHELD:
        return str(_("Nothing is paid; any hold on the deposit was released."))
    if complaint.status == Status.AWAITING_MERCHANT_PAYMENT:
        return str(
            _("Waiting for the merchant to pay the consumer %(amount)s directly.")
            % {"amount": money(decision.total)}
        )
    if paid_by_merchant(decision):
        return str(
            _("The merchant paid the consumer %(amount)s directly.")
            % {"amount": money(decision.paid_total)}
        )
    lines = [line for line in decision.lines.all() if line.paid_amount is not None]
    if not lines:
        return str(_("Not paid yet."))
    disbursements = {
        d.pk: d
        for line in lines
        if line.ledger_entry is not None
        for d in line.ledger_entry.disbursements.all()
    }.values()
    text = _("%(amount)s paid from the merchant's deposit.") % {
        "amount": money(decision.paid_total)
    }
    statuses = {d.status for d in disbursements}
    if "awaiting_account" in statuses:
        sent = _("The money waits for the consumer to choose an account.")
    elif "failed" in statuses:
        sent = _("The transfer to the consumer failed; the platform is sending it again.")
    elif statuses == {"sent"}:
        sent = _("The money has been sent to the consumer's account.")
    elif statuses:
        sent = _("The platform is sending the money to the consumer's account.")
    else:
        return str(text)
    return f"{text} {sent}"


def _platform_actions(complaint, user, party: str) -> list[Action]:
    actions = []
    if party == Party.MERCHANT and not act_for_merchant(complaint, user):
        return actions  # a member who may read the complaint, not answer it
    status = complaint.status
    if status == Status.AWAITING_INFO and open_info_request(complaint, party):
        actions.append(ANSWER_INFO)
    if party == Party.MERCHANT and has_transition_perm(complaint.confirm_payment, user):
        actions.append(CONFIRM_PAYMENT)
    if status in (Status.PAID, Status.REJECTED) and has_transition_perm(complaint.appeal, user):
        actions.append(APPEAL)
    if may_respond_to_appeal(complaint, party):
        actions.append(RESPOND_TO_APPEAL)
    return actions


def _has(actions: list[Action], action: Action) -> bool:
    return any(a.name == action.name for a in actions)


def _with_primary_first(actions: list[Action]) -> list[Action]:
    """One primary button at most: the first primary keeps it."""
    first = next((a for a in actions if a.primary), None)
    return [
        a
        if a is first or not a.primary
        else Action(a.name, a.label, False, a.needs_form, a.confirm)
        for a in actions
    ]


def _platform_or_closed(complaint, user, party: str, actions) -> NextStep:
    actions = _with_primary_first(_platform_actions(complaint, user, party) + actions)
    status = complaint.status
    decision = complaint.final_decision
    if status == Status.UNDER_REVIEW:
        if not complaint.held_amount:
            # Nothing could be held (an empty deposit): a "¥0.00 held" would only confuse.
            text = _("The platform is reviewing the case. A decision is due by the deadline.")
        elif party == Party.CONSUMER:
            text = _(
                "The platform is reviewing the case; %(held)s of the merchant's deposit is "
                "held for it. A decision is due by the deadline."
            )
        else:
            text = _(
                "The platform is reviewing the case; %(held)s of your deposit is held for it. "
                "A decision is due by the deadline."
            )
        return NextStep(
            text % {"held": money(complaint.held_amount)}, complaint.decision_due_at, actions
        )
    if status == Status.AWAITING_INFO:
        mine = open_info_request(complaint, party)
        if mine is not None:
            return NextStep(
                _("The platform asks you for more information. Answer before the deadline."),
                mine.due_at,
                actions,
                detail=mine.question,
            )
        theirs = open_info_request(complaint, _other(party))
        return NextStep(
            _("The platform is waiting for %(party)s to answer its question until the deadline.")
            % {"party": _party_name(_other(party))},
            theirs.due_at if theirs else complaint.due_at,
            actions,
        )
    if status == Status.AWAITING_APPROVAL:
        return NextStep(
            _(
                "The platform has reached a decision; a senior reviewer is checking the award "
                "before it takes effect."
            ),
            None,
            actions,
        )
    if status == Status.AWAITING_MERCHANT_PAYMENT:
        total = money(decision.total if decision else None)
        if party == Party.MERCHANT:
            text = _(
                "Pay the consumer %(amount)s directly before the deadline, then upload the "
                "payment voucher. Otherwise your deposit pays the consumer."
            )
        else:
            text = _(
                "The merchant must pay you %(amount)s directly before the deadline; "
                "otherwise the merchant's deposit pays you."
            )
        return NextStep(text % {"amount": total}, complaint.due_at, actions)
    if status in (Status.PAID, Status.REJECTED):
        if status == Status.PAID:
            amount = money(decision.paid_total if decision else None)
            if party == Party.CONSUMER:
                text = _("The platform upheld your complaint: you were paid %(amount)s.")
            else:
                text = _("The platform upheld the complaint: the consumer was paid %(amount)s.")
            text = text % {"amount": amount}
        else:
            reason = decision.get_reason_code_display() if decision else ""
            text = _("The platform rejected the complaint: %(reason)s.") % {"reason": reason}
        if _has(actions, APPEAL):
            text = _("%(outcome)s If you disagree, you can appeal once before the deadline.") % {
                "outcome": text
            }
            return NextStep(text, complaint.due_at, actions)
        return NextStep(text, None, actions)
    if status == Status.UNDER_APPEAL:
        appeal = appeal_of(complaint)
        if _has(actions, RESPOND_TO_APPEAL):
            return NextStep(
                _(
                    "The consumer appealed the decision. Respond before the deadline; "
                    "a senior reviewer then resolves the appeal."
                )
                if appeal.party == Party.CONSUMER
                else _(
                    "The merchant appealed the decision. Respond before the deadline; "
                    "a senior reviewer then resolves the appeal."
                ),
                appeal.response_due_at,
                actions,
                detail=appeal.reason,
            )
        if appeal is not None and not appeal.ready_for_resolution and appeal.party == party:
            return NextStep(
                _(
                    "Your appeal is in. The platform is waiting for %(party)s to respond "
                    "until the deadline; then a senior reviewer resolves it."
                )
                % {"party": _party_name(_other(party))},
                appeal.response_due_at,
                actions,
            )
        if appeal is not None and not appeal.ready_for_resolution:
            # The other side appealed, and this reader may not respond (a member of the
            # store without the grant to answer, or the response window just closed).
            return NextStep(
                _(
                    "The consumer appealed the decision. A response is due by the deadline; "
                    "then a senior reviewer resolves the appeal."
                )
                if appeal.party == Party.CONSUMER
                else _(
                    "The merchant appealed the decision. A response is due by the deadline; "
                    "then a senior reviewer resolves the appeal."
                ),
                appeal.response_due_at,
                actions,
                detail=appeal.reason,
            )
        return NextStep(
            _("A senior reviewer is resolving the appeal; the resolution is final for both sides."),
            None,
            actions,
        )
    if status in (Status.WITHDRAWN, Status.CLOSED):
        note = ""
        if status == Status.CLOSED:
            note = (
                _(
                    "The platform's decision is not the only remedy: the consumer association "
                    "(12315) and the courts remain open to you, especially for large losses."
                )
                if party == Party.CONSUMER
                else _(
                    "The platform's decision is not the only remedy: the courts remain open "
                    "to both sides, and the consumer may also turn to the consumer "
                    "association (12315)."
                )
            )
        return NextStep(
            _("Closed: %(reason)s.") % {"reason": complaint.get_closure_reason_display()},
            None,
            actions,
            note=note,
        )
    return NextStep(complaint.get_status_display(), complaint.due_at, actions)
