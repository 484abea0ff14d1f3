"""The console's actions on a complaint: what each does (one service call) and who may
do it now."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from common.dates import local_datetime
from deposit_claims.templatetags.ui import money

from .. import permissions as can
from .. import services
from ..models import (
    Complaint,
    Decision,
)
from .action_forms import (
    ActionForm,
    DecideForm,
    InternalNoteForm,
    RejectForm,
    RejectMaliciousForm,
    RequestInfoForm,
    ResolveAppealForm,
    SendBackForm,
)

Status = Complaint.Status

# --- what each action does --------------------------------------------------------------


def _decision_outcome(decision: Decision) -> str:
    """What became of an award once decided or approved, in the words of the success message."""
    status = Complaint.objects.values_list("status", flat=True).get(pk=decision.complaint_id)
    if status == Status.AWAITING_APPROVAL:
        return gettext("The award of %(amount)s waits for a senior reviewer's approval.") % {
            "amount": money(decision.total)
        }
    if status == Status.AWAITING_MERCHANT_PAYMENT:
        return gettext("The merchant is ordered to pay the consumer %(amount)s first.") % {
            "amount": money(decision.total)
        }
    return gettext("%(amount)s was paid to the consumer from the deposit.") % {
        "amount": money(decision.paid_total)
    }


def take(complaint, user, form) -> str:
    services.take_case(complaint=complaint, actor=user)
    return gettext("You took the case.")


def request_info(complaint, user, form) -> str:
    info = services.request_info(
        complaint=complaint,
        actor=user,
        party=form.cleaned_data["party"],
        question=form.cleaned_data["question"],
    )
    return gettext("Information requested (%(party)s); the answer is due by %(due)s.") % {
        "party": info.get_party_display(),
        "due": local_datetime(info.due_at),
    }


def decide(complaint, user, form) -> str:
    decision = services.decide_complaint(
        complaint=complaint,
        actor=user,
        lines=form.service_lines(),
        reason_code=form.cleaned_data["reason_code"],
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
        route=form.cleaned_data["route"],
        reduction_reason=form.cleaned_data["reduction_reason"],
    )
    return gettext("The complaint is upheld.") + " " + _decision_outcome(decision)


def reject(complaint, user, form) -> str:
    services.reject_complaint(
        complaint=complaint,
        actor=user,
        reason_code=form.cleaned_data["reason_code"],
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
    )
    return gettext("The complaint is rejected and the hold on the deposit released.")


def reject_malicious(complaint, user, form) -> str:
    services.reject_complaint(
        complaint=complaint,
        actor=user,
        reason_code=Decision.ReasonCode.MALICIOUS,
        reasoning=form.cleaned_data["reasoning"],
        evidence=list(form.cleaned_data["evidence"]),
        malicious=True,
    )
    return gettext("The complaint is rejected as malicious; the consumer has a strike.")


def approve(complaint, user, form) -> str:
    decision = services.approve_decision(complaint=complaint, actor=user)
    return gettext("The award is approved.") + " " + _decision_outcome(decision)


def send_back(complaint, user, form) -> str:
    decision = services.send_back_decision(
        complaint=complaint, actor=user, reason=form.cleaned_data["reason"]
    )
    return gettext("The award is sent back to %(reviewer)s.") % {"reviewer": decision.decided_by}


def resolve_appeal(complaint, user, form) -> str:
    appeal = services.resolve_appeal(
        complaint=complaint,
        actor=user,
        outcome=form.cleaned_data["outcome"],
        resolution=form.cleaned_data["resolution"],
        lines=form.service_lines(),
    )
    return gettext("The appeal is resolved (%(outcome)s) and the complaint closed.") % {
        "outcome": appeal.get_outcome_display()
    }


def add_internal_note(complaint, user, form) -> str:
    services.post_message(
        complaint=complaint, author=user, body=form.cleaned_data["body"], internal=True
    )
    return gettext("Internal note added.")


# --- who may do what now ----------------------------------------------------------------


def allowed_by(transition: str) -> Callable[[Complaint, object], bool]:
    def may(complaint, user) -> bool:
        return has_transition_perm(getattr(complaint, transition), user)

    return may


def may_take(complaint, user) -> bool:
    # Any reviewer may take a case over, but taking one's own case again does nothing.
    return complaint.assigned_reviewer_id != user.pk and allowed_by("take")(complaint, user)


def may_write_internal_note(complaint, user) -> bool:
    return can.is_reviewer(complaint, user)


@dataclass(frozen=True)
class ConsoleAction:
    slug: str
    label: Promise
    may: Callable[[Complaint, object], bool]
    form_class: type[ActionForm]
    perform: Callable[[Complaint, object, ActionForm], str]
    submit_label: Promise
    # "default" is Django admin's primary button; "danger" marks what hurts a party.
    style: str = ""
    warning: Promise | None = None
    template: str = "action_form.html"

    @property
    def url_name(self) -> str:
        return "disputes_complaint_" + self.slug.replace("-", "_")


ACTIONS = (
    ConsoleAction(
        slug="take",
        label=_("Take the case"),
        may=may_take,
        form_class=ActionForm,
        perform=take,
        submit_label=_("Take the case"),
        style="default",
    ),
    ConsoleAction(
        slug="decide",
        label=_("Uphold"),
        may=allowed_by("decide"),
        form_class=DecideForm,
        perform=decide,
        submit_label=_("Uphold with this award"),
        style="default",
        template="decide.html",
    ),
    ConsoleAction(
        slug="request-info",
        label=_("Request information"),
        may=allowed_by("request_info"),
        form_class=RequestInfoForm,
        perform=request_info,
        submit_label=_("Send the request"),
    ),
    ConsoleAction(
        slug="reject",
        label=_("Reject"),
        may=allowed_by("reject"),
        form_class=RejectForm,
        perform=reject,
        submit_label=_("Reject the complaint"),
    ),
    ConsoleAction(
        slug="reject-malicious",
        label=_("Reject as malicious"),
        may=allowed_by("reject"),
        form_class=RejectMaliciousForm,
        perform=reject_malicious,
        submit_label=_("Reject as malicious and give a strike"),
        style="danger",
        warning=_(
            "The consumer gets a strike: two strikes within 12 months stop them filing "
            "complaints for 90 days. Use this only when the complaint was made in bad faith."
        ),
    ),
    ConsoleAction(
        slug="approve",
        label=_("Approve the award"),
        may=allowed_by("approve"),
        form_class=ActionForm,
        perform=approve,
        submit_label=_("Approve and pay the award"),
        style="default",
        warning=_(
            "Approving pays the award from the deposit now, or orders the merchant to pay "
            "first, as the decision says."
        ),
        template="approve.html",
    ),
    ConsoleAction(
        slug="send-back",
        label=_("Send back"),
        may=allowed_by("send_back"),
        form_class=SendBackForm,
        perform=send_back,
        submit_label=_("Send the award back"),
        template="approve.html",
    ),
    ConsoleAction(
        slug="resolve-appeal",
        label=_("Resolve the appeal"),
        may=allowed_by("resolve_appeal"),
        form_class=ResolveAppealForm,
        perform=resolve_appeal,
        submit_label=_("Resolve the appeal, finally"),
        style="default",
        warning=_(
            "The resolution is final for both parties. A raised award is paid at once; a "
            "lowered one makes the merchant whole at the platform's cost."
        ),
        template="resolve_appeal.html",
    ),
    ConsoleAction(
        slug="note",
        label=_("Internal note"),
        may=may_write_internal_note,
        form_class=InternalNoteForm,
        perform=add_internal_note,
        submit_label=_("Add the note"),
    ),
)
ACTIONS_BY_SLUG = {action.slug: action for action in ACTIONS}
TEMPLATES = "admin/disputes/complaint/"
