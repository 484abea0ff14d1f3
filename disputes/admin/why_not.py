"""Why the case page offers this user no button for the complaint's next step: one line
each, instead of a button that silently is not there."""

from django.utils.translation import gettext

from accounts import roles

from .. import permissions as can
from ..models import Complaint

Status = Complaint.Status
SETTLED_FOR_GOOD = {
    Status.SETTLED,
    Status.WITHDRAWN,
    Status.PAID,
    Status.REJECTED,
    Status.CLOSED,
}


def _is_senior(user) -> bool:
    return can.is_reviewer(None, user) and roles.has_role(user, roles.SENIOR_REVIEWERS)


def why_no_next_step(complaint: Complaint, user) -> str:
    """Why this user cannot take the complaint's next step now; "" when they can."""
    status = complaint.status
    if status == Status.NEGOTIATING:
        return gettext(
            "The consumer and the merchant are still negotiating; the platform acts once the "
            "complaint is escalated."
        )
    if status in SETTLED_FOR_GOOD:
        return gettext("The complaint is “%(status)s”: nothing is left for the platform to do.") % {
            "status": complaint.get_status_display()
        }
    if status == Status.AWAITING_MERCHANT_PAYMENT:
        return gettext(
            "The merchant was ordered to pay first; if they do not in time, the deposit pays."
        )
    if not can.is_reviewer(complaint, user):
        return gettext("Only reviewers act on complaints; finance acts on their payouts.")
    if status == Status.AWAITING_APPROVAL:
        return _why_not_approve(complaint, user)
    if status == Status.UNDER_APPEAL:
        return _why_not_resolve(complaint, user)
    if complaint.assigned_reviewer_id not in (None, user.pk):
        return gettext("%(name)s has this case; take it over to decide it.") % {
            "name": complaint.assigned_reviewer
        }
    if complaint.assigned_reviewer_id is None:
        return gettext("Take the case to decide it.")
    if status == Status.AWAITING_INFO:
        return gettext("Waiting for the answer to the information request.")
    return ""


def _why_not_approve(complaint: Complaint, user) -> str:
    if not _is_senior(user):
        return gettext("A senior reviewer approves or sends back this award.")
    pending = complaint.pending_decision
    if pending is not None and pending.decided_by_id == user.pk:
        return gettext("You made this award: another senior reviewer approves it.")
    return ""


def _why_not_resolve(complaint: Complaint, user) -> str:
    appeal = getattr(complaint, "appeal_record", None)
    if appeal is not None and not appeal.ready_for_resolution:
        return gettext("The appeal waits for the other party's response.")
    if not _is_senior(user):
        return gettext("A senior reviewer resolves the appeal.")
    if not can.is_resolving_senior(complaint, user):
        return gettext(
            "You decided or approved this complaint: another senior reviewer resolves its appeal."
        )
    return ""
