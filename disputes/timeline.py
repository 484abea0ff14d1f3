"""The complaint's story as both parties see it: every step with who, when and why.

Each step of the store names the person who took it (`Step.person`), as its reader may
see them. The store's own pages: the name and role ("吴倩 (staff)"), a member since
removed as former staff. The consumer: the store's name for its owner, and the store's
name with the person's for its staff ("优品数码旗舰店 · 吴倩"), as a marketplace shows
which customer-service agent answered; never a login, which is a staff member's own
e-mail or mobile number. The console's history names everyone with their role
(`disputes/admin/history.py`).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db.models import BigIntegerField, Value
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from common.prepared import PreparedRead
from common.recorded_text import readable
from deposit_claims.templatetags.ui import money
from merchants.models import MerchantMember

from .models import Complaint, Party

# Every page of a complaint reads its transitions: compiled once. The complaint's content
# type is joined by name, not passed as an id, which a database's content types may change.
# The key is a bigint Value: the log's object_id is a positive integer, and Django finds
# nothing at all for the negative placeholder a prepared read compiles with.
_TRANSITIONS = PreparedRead(
    lambda pk: (
        StateLog.objects.filter(
            content_type__app_label=Complaint._meta.app_label,
            content_type__model=Complaint._meta.model_name,
            object_id=Value(pk, output_field=BigIntegerField()),
        )
        .select_related("by")
        .order_by("timestamp", "pk")
    )
)

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
    person: str = ""

    @property
    def party_label(self):
        return Party(self.party).label if self.party in Party.values else _("System")


def _party_of_user(complaint: Complaint, user) -> str:
    """Who acted, judged without the store's current staff: a member removed since still
    acted for the store. Only the complaint's consumer, the store's members and platform
    users (`is_staff`) ever act on a complaint."""
    if user is None:
        return "system"
    if user.pk == complaint.consumer_id:
        return Party.CONSUMER
    return Party.PLATFORM if user.is_staff else Party.MERCHANT


ROLE_WORDS = {
    MerchantMember.Role.OWNER: _("owner"),
    MerchantMember.Role.STAFF: _("staff"),
}


class People:
    """How a person who acted for the store is named to one reader ("merchant" for the
    store's pages, "consumer" for the consumer's)."""

    def __init__(self, complaint: Complaint, viewer: str):
        self.complaint, self.viewer = complaint, viewer

    @cached_property
    def roles(self) -> dict[int, str]:
        """The store's members now, read once, only when a step of the store is named."""
        return dict(
            MerchantMember.objects.filter(merchant_id=self.complaint.merchant_id).values_list(
                "user_id", "role"
            )
        )

    def name(self, user) -> str:
        if user is None:
            return ""
        role = self.roles.get(user.pk)
        if self.viewer == "merchant":
            return str(_("%(name)s (%(role)s)")) % {
                "name": user.display_name or user.username,
                "role": ROLE_WORDS.get(role, _("former staff")),
            }
        store = self.complaint.merchant.name
        if role == MerchantMember.Role.OWNER or not user.display_name:
            return store
        return f"{store} · {user.display_name}"

    def of(self, party: str, user) -> str:
        return self.name(user) if party == Party.MERCHANT else ""


def timeline(complaint: Complaint, *, messages, viewer: str = "consumer") -> list[Step]:
    """Filing, transitions, offers, evidence and messages, oldest first, each step of the
    store naming its person as `viewer` may see them."""
    people = People(complaint, viewer)
    steps = [
        Step(
            complaint.created_at,
            Party.CONSUMER,
            str(_("Complaint filed")),
            complaint.description,
            "filed",
        )
    ]
    for log in _TRANSITIONS.all(complaint.pk):
        if log.transition in SHOWN_ELSEWHERE:
            continue  # the offer, the question and the decision are shown as cards
        party = (
            Party.PLATFORM
            if log.transition in PLATFORM_STEPS
            else _party_of_user(complaint, log.by)
        )
        detail = "" if log.transition in NO_DETAIL else readable(log.description)
        if log.transition == "decide":
            if log.state != Complaint.Status.AWAITING_APPROVAL:
                continue  # the decision card tells it
            title = _("The platform reached a decision; a senior reviewer must approve the award")
            detail = ""  # the reasoning is shown once the award is approved
        elif log.transition == "appeal":
            title = APPEALED.get(party, _("An appeal was filed"))
        else:
            title = STEP_LABELS.get(log.transition, log.transition)
        steps.append(
            Step(log.timestamp, party, str(title), detail, person=people.of(party, log.by))
        )
    steps.extend(_platform_steps(complaint, people))
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
                people.name(payment.recorded_by),
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
                people.name(offer.made_by),
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
                people.of(evidence.party, evidence.uploaded_by),
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
                people.of(message.party, message.author),
            )
        )
    return sorted(steps, key=lambda step: step.at)


def _platform_steps(complaint: Complaint, people: People) -> list[Step]:
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
                    people.of(info.party, info.answered_by),
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
                    people.of(responder, appeal.responded_by),
                )
            )
        elif appeal.response_lapsed:
            steps.append(
                Step(appeal.response_due_at, "system", str(_("No response to the appeal in time")))
            )
    return steps
