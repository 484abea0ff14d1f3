"""The platform's investigation: taking a case, asking the parties for information."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.db import atomic_service
from common.recorded_text import recorded

from .. import work_queues
from ..models import (
    QUEUE_ORDER,
    Complaint,
    Evidence,
    InfoRequest,
    Party,
)
from ..notifications import notify
from ..permissions import (
    SYSTEM,
    is_reviewer,
)
from ._common import (
    _check,
    _consumer_url,
    _lock,
    _log_actor,
    _merchant_url,
    _merchant_users,
    _not_allowed,
    _party_of,
    _policy,
    _save,
    _store_files,
    _text,
)

# --- the platform's half: investigation, decision, payout, appeal --------------------------


@atomic_service
def take_case(*, complaint: Complaint, actor) -> Complaint:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.take, actor, _("take"))
    if complaint.assigned_reviewer_id == actor.pk:
        # Taking one's own case again would change nothing but add a line to its history.
        raise ValidationError(_("This case is already yours."), code="already_yours")
    complaint.take(
        reviewer=actor, by=actor, description=recorded(gettext_noop("A reviewer took the case"))
    )
    _save(complaint)
    return complaint


@atomic_service
def take_next_case(*, actor) -> Complaint | None:
    """The untaken escalation due first, taken by the actor; None when none is waiting.

    Two reviewers pressing at once each get a different case: each skips the row the other
    has locked (`SKIP LOCKED`) instead of waiting for it and then finding it taken.
    """
    if not is_reviewer(None, actor):
        raise _not_allowed(_("take"))
    candidate = (
        Complaint.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .filter(work_queues.UNTAKEN)
        .order_by(*QUEUE_ORDER)
        .first()
    )
    if candidate is None:
        return None
    return take_case(complaint=candidate, actor=actor)


@atomic_service
def request_info(*, complaint: Complaint, actor, party: str, question: str) -> InfoRequest:
    now = timezone.now()
    complaint = _lock(complaint, now)
    _check(complaint, complaint.request_info, actor, _("ask for information on"))
    if party not in (Party.CONSUMER, Party.MERCHANT):
        raise ValidationError(_("Ask the consumer or the merchant."), code="party")
    question = _text(question, label=_("The question"), max_length=2000)
    if complaint.info_requests.filter(
        party=party, answered_at__isnull=True, lapsed_at__isnull=True
    ).exists():
        raise ValidationError(
            _("That party already has an open request; wait for its answer."), code="open_request"
        )
    due_at = now + _policy(now).hours("info_request_hours")
    complaint.request_info(due_at=due_at, by=actor, description=question)
    info = InfoRequest.objects.create(
        complaint=complaint,
        party=party,
        question=question,
        asked_by=actor,
        created_at=now,
        due_at=due_at,
    )
    _save(complaint)
    users = [complaint.consumer] if party == Party.CONSUMER else _merchant_users(complaint)
    url = _consumer_url(complaint) if party == Party.CONSUMER else _merchant_url(complaint)
    notify(users=users, complaint=complaint, event="info_requested", url=url, due=due_at)
    return info


@atomic_service
def submit_info(*, complaint: Complaint, actor, answer: str, files=()) -> InfoRequest:
    """A party answers the platform's open request to it; review resumes once none is open."""
    now = timezone.now()
    complaint = _lock(complaint, now)
    party = _party_of(complaint, actor)
    info = (
        InfoRequest.objects.select_for_update(no_key=True)
        .filter(complaint=complaint, party=party, answered_at__isnull=True, lapsed_at__isnull=True)
        .first()
    )
    # The deadline is judged at `now`, like every other: an answer at `due_at` is late.
    if info is None or complaint.status != Complaint.Status.AWAITING_INFO or info.due_at <= now:
        raise _not_allowed(_("answer an information request on"))
    info.answer = _text(answer, label=_("The answer"))
    info.answered_by, info.answered_at = actor, now
    info.save(update_fields=["answer", "answered_by", "answered_at"])
    _store_files(
        complaint,
        actor,
        party,
        [(Evidence.Kind.OTHER, f) for f in files],
        recorded(gettext_noop("Answer to the platform")),
    )
    _resume_if_complete(complaint, actor)
    _save(complaint)
    if complaint.assigned_reviewer:
        notify(
            users=[complaint.assigned_reviewer],
            complaint=complaint,
            event="info_answered",
            url=reverse("admin:disputes_complaint_change", args=[complaint.pk]),
        )
    return info


def _resume_if_complete(complaint, actor, *, lapsed=False):
    open_requests = [r for r in complaint.info_requests.all() if r.is_open]
    if open_requests:
        complaint.due_at = min(r.due_at for r in open_requests)
        return
    complaint.resume_review(
        lapsed=lapsed,
        by=_log_actor(actor),
        description=str(
            _("An information request lapsed") if lapsed else _("All requested information is in")
        ),
    )


# How an error names a line, in the user's terms.


@atomic_service
def flag_decision_overdue(*, complaint: Complaint, now: datetime) -> Complaint:
    """The decision target passed: the case is flagged, and the timeline says so."""
    complaint = _lock(complaint, now)
    _check(complaint, complaint.flag_overdue, SYSTEM, _("flag"))
    complaint.flag_overdue(
        description=recorded(
            gettext_noop("No decision within the working days the platform allows itself")
        )
    )
    _save(complaint)
    return complaint


@atomic_service
def lapse_info_requests(*, complaint: Complaint, now: datetime) -> Complaint:
    complaint = _lock(complaint, now)
    if complaint.status != Complaint.Status.AWAITING_INFO:
        raise _not_allowed(_("lapse"))
    lapsed = InfoRequest.objects.filter(
        complaint=complaint, answered_at__isnull=True, lapsed_at__isnull=True, due_at__lte=now
    ).update(lapsed_at=now)
    # Flagged now, even if review resumes later when another party answers.
    complaint.info_lapsed = complaint.info_lapsed or bool(lapsed)
    _resume_if_complete(complaint, SYSTEM, lapsed=bool(lapsed))
    _save(complaint)
    return complaint
