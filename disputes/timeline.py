"""The complaint's story as both parties see it: every step with who, when and why."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

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
}


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
        if log.transition == "make_offer":
            continue  # the offer itself is shown as a card, with its terms and status
        steps.append(
            Step(
                log.timestamp,
                _party_of_user(complaint, log.by),
                str(STEP_LABELS.get(log.transition, log.transition)),
                log.description or "",
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
