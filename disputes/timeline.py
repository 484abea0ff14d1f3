"""The complaint's story as both parties see it: every step with who, when and why."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from deposit_claims.templatetags.ui import money

from .models import Complaint, Party

STEP_LABELS = {
    "accept_claim": _("The merchant accepted the claim"),
    "refuse": _("The merchant refused"),
    "accept_offer": _("The consumer accepted the offer"),
    "decline_offer": _("The consumer declined the offer"),
    "expire_offer": _("The offer expired"),
    "withdraw": _("The consumer withdrew the complaint"),
    "escalate": _("The platform stepped in"),
    "lapse": _("The complaint lapsed"),
    "reopen": _("The consumer reported the settlement unpaid"),
    "take": _("The platform took up the case"),
    "resume_review": _("The platform resumed its review"),
    "approve": _("A senior reviewer approved the award"),
    "send_back": _("A senior reviewer sent the decision back for another look"),
    "confirm_payment": _("The merchant confirmed paying the consumer directly"),
    "charge_deposit": _("The merchant did not pay in time; the deposit paid the consumer"),
    "resolve_appeal": _("A senior reviewer resolved the appeal"),
    "close": _("The complaint closed: nobody appealed in time"),
    "flag_overdue": _("The platform's decision is overdue"),
}

APPEALED = {
    Party.CONSUMER: _("The consumer appealed"),
    Party.MERCHANT: _("The merchant appealed"),
}

ASKED = {
    Party.CONSUMER: _("The platform asked the consumer for more information"),
    Party.MERCHANT: _("The platform asked the merchant for more information"),
}

# Shown by richer steps of their own (the question, the decision card) or kept internal.
SHOWN_ELSEWHERE = {"make_offer", "request_info", "reject"}
# The senior reviewer's reason is for the reviewer, not the parties; the others say no more
# than the title.
NO_DETAIL = {"send_back", "take"}
# Resuming is the platform's step, whoever's answer completed the information.
PLATFORM_STEPS = {"resume_review"}


@dataclass(frozen=True)
class Step:
    at: datetime
    party: str
    title: str
    detail: str = ""
    kind: str = "step"
    obj: object = None

    @property
    def party_label(self):
        return Party(self.party).label if self.party in Party.values else _("System")


def _party_of_user(complaint: Complaint, user) -> str:
    if user is None:
        return "system"
    if user.pk == complaint.consumer_id:
        return Party.CONSUMER
    membership = getattr(user, "merchant_membership", None)
    if membership is not None and membership.merchant_id == complaint.merchant_id:
        return Party.MERCHANT
    return Party.PLATFORM


def timeline(complaint: Complaint, *, messages) -> list[Step]:
    """Filing, transitions, offers, evidence and messages, oldest first."""
    steps = [
        Step(
            complaint.created_at,
            Party.CONSUMER,
            str(_("Complaint filed")),
            complaint.description,
            "filed",
        )
    ]
    logs = (
        StateLog.objects.for_(complaint)
        .select_related("by__merchant_membership")
        .order_by("timestamp", "pk")
    )
    for log in logs:
        if log.transition in SHOWN_ELSEWHERE:
            continue  # the offer, the question and the decision are shown as cards
        party = (
            Party.PLATFORM
            if log.transition in PLATFORM_STEPS
            else _party_of_user(complaint, log.by)
        )
        detail = "" if log.transition in NO_DETAIL else log.description or ""
        if log.transition == "decide":
            if log.state != Complaint.Status.AWAITING_APPROVAL:
                continue  # the decision card tells it
            title = _("The platform reached a decision; a senior reviewer must approve the award")
            detail = ""  # the reasoning is shown once the award is approved
        elif log.transition == "appeal":
            title = APPEALED.get(party, _("An appeal was filed"))
        else:
            title = STEP_LABELS.get(log.transition, log.transition)
        steps.append(Step(log.timestamp, party, str(title), detail))
    steps.extend(_platform_steps(complaint))
    # A record, not a transition: the settlement stays settled (no StateLog row).
    payment = getattr(complaint, "direct_payment", None)
    if payment is not None:
        steps.append(
            Step(
                payment.created_at,
                Party.MERCHANT,
                str(_("The merchant recorded paying %(amount)s"))
                % {"amount": money(payment.amount)},
                "",
                "direct_payment",
                payment,
            )
        )
    for offer in complaint.offers.all():
        steps.append(
            Step(
                offer.created_at,
                Party.MERCHANT,
                str(_("The merchant made an offer")),
                offer.note,
                "offer",
                offer,
            )
        )
    for evidence in complaint.evidence.all():
        steps.append(
            Step(
                evidence.created_at,
                evidence.party,
                str(_("Evidence added")),
                evidence.get_kind_display(),
                "evidence",
                evidence,
            )
        )
    for message in messages:
        steps.append(
            Step(
                message.created_at,
                message.party,
                str(_("Message")),
                message.body,
                "message",
                message,
            )
        )
    return sorted(steps, key=lambda step: step.at)


def _platform_steps(complaint: Complaint) -> list[Step]:
    """Questions and answers, the final decisions and the appeal's response, from prefetches."""
    steps = []
    for info in complaint.info_requests.all():
        steps.append(
            Step(
                info.created_at, Party.PLATFORM, str(ASKED[info.party]), info.question, "info", info
            )
        )
        if info.answered_at:
            steps.append(
                Step(
                    info.answered_at,
                    info.party,
                    str(_("Answered the platform's question")),
                    info.answer,
                    "info_answer",
                    info,
                )
            )
        elif info.lapsed_at:
            steps.append(
                Step(info.lapsed_at, "system", str(_("The question went unanswered in time")))
            )
    for decision in complaint.decisions.all():
        if decision.status != decision.Status.FINAL:
            continue
        steps.append(
            Step(
                decision.approved_at or decision.decided_at,
                Party.PLATFORM,
                str(_("The platform decided: %(outcome)s"))
                % {"outcome": decision.get_outcome_display()},
                "",
                "decision",
                decision,
            )
        )
    appeal = getattr(complaint, "appeal_record", None)
    if appeal is not None:
        responder = Party.MERCHANT if appeal.party == Party.CONSUMER else Party.CONSUMER
        if appeal.responded_at:
            steps.append(
                Step(
                    appeal.responded_at,
                    responder,
                    str(_("Responded to the appeal")),
                    appeal.response,
                    "appeal_response",
                    appeal,
                )
            )
        elif appeal.response_lapsed:
            steps.append(
                Step(appeal.response_due_at, "system", str(_("No response to the appeal in time")))
            )
    return steps
