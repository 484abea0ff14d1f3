"""The case page's history in words: who (name and role), what, when and why, for the
console's readers; the raw transition log stays on the page for superusers."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from accounts import roles
from common.recorded_text import readable

from ..models import Complaint
from ..timeline import STEP_LABELS

# Beside the parties' wording, the steps the parties see as cards of their own.
CONSOLE_STEP_LABELS = {
    **STEP_LABELS,
    "make_offer": _("The merchant made an offer"),
    "request_info": _("A reviewer asked for more information"),
    "decide": _("A reviewer decided"),
    "reject": _("A reviewer rejected the complaint"),
    "appeal": _("An appeal was filed"),
}
# Steps whose recorded text only restates what happened.
RESTATED = {"take"}
# The most senior platform role names a platform user.
PLATFORM_ROLE_ORDER = (roles.SENIOR_REVIEWERS, roles.REVIEWERS, roles.FINANCE)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    role: str
    what: str
    reason: str


def _holds(role: str) -> str:
    return "by_is_" + role.lower().replace(" ", "_")


def _role_of(complaint: Complaint, log) -> str:
    user = log.by
    if user is None:
        return gettext("System (deadline)")
    if user.pk == complaint.consumer_id:
        return gettext("Consumer")
    membership = getattr(user, "merchant_membership", None)
    if membership is not None and membership.merchant_id == complaint.merchant_id:
        return gettext("Merchant (%(role)s)") % {"role": membership.get_role_display()}
    if not user.is_staff:
        # Only the store's members act for it besides the consumer and the platform: this
        # one has left the staff since.
        return gettext("Merchant (former staff)")
    for role in PLATFORM_ROLE_ORDER:
        if getattr(log, _holds(role)):
            return str(roles.ROLE_LABELS[role])
    return gettext("Operator") if user.is_superuser else gettext("Platform")


def history_of(complaint: Complaint) -> list[HistoryRow]:
    """Every transition of the complaint, oldest first, in one query."""
    memberships = get_user_model().groups.through.objects.filter(user_id=OuterRef("by_id"))
    logs = (
        StateLog.objects.for_(complaint)
        .select_related("by__merchant_membership")
        .annotate(
            **{
                _holds(role): Exists(memberships.filter(group__name=role))
                for role in PLATFORM_ROLE_ORDER
            }
        )
        .order_by("timestamp", "pk")
    )
    return [
        HistoryRow(
            at=log.timestamp,
            who=str(log.by) if log.by is not None else "—",
            role=_role_of(complaint, log),
            what=str(CONSOLE_STEP_LABELS.get(log.transition, log.transition)),
            reason="" if log.transition in RESTATED else readable(log.description),
        )
        for log in logs
    ]
