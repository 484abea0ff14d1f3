"""The platform's work queues (the console's landing page, its list filter, take-next):
each a condition on complaints for one reviewer, or for the whole team."""

from django.db.models import Exists, OuterRef, Q

from .models import Complaint, Decision, InfoRequest

# Escalated and not yet taken by a reviewer; the index complaint_untaken_queue serves it.
UNTAKEN = Q(
    assigned_reviewer__isnull=True,
    status__in=[Complaint.Status.UNDER_REVIEW, Complaint.Status.AWAITING_INFO],
)
REVIEWER_OPEN_STATUSES = (
    Complaint.Status.UNDER_REVIEW,
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.AWAITING_APPROVAL,
)
APPEAL_ANSWERED = Q(appeal_record__responded_at__isnull=False) | Q(
    appeal_record__response_lapsed=True
)


def reviewers_open_cases(user) -> Q:
    return Q(assigned_reviewer=user, status__in=REVIEWER_OPEN_STATUSES)


def answers_for_reviewer(user) -> Q:
    """The reviewer's cases back under review with an answer (or a lapse) to an information
    request: the reviewer decides next."""
    answered = InfoRequest.objects.filter(complaint=OuterRef("pk")).filter(
        Q(answered_at__isnull=False) | Q(lapsed_at__isnull=False)
    )
    return Q(assigned_reviewer=user, status=Complaint.Status.UNDER_REVIEW) & Q(Exists(answered))


def sent_back_to_reviewer(user) -> Q:
    """The reviewer's cases whose award a senior sent back, not yet decided again."""
    sent_back = Decision.objects.filter(complaint=OuterRef("pk"), status=Decision.Status.SENT_BACK)
    return Q(assigned_reviewer=user, status=Complaint.Status.UNDER_REVIEW) & Q(Exists(sent_back))


def reviewers_overdue(user) -> Q:
    return reviewers_open_cases(user) & Q(decision_overdue=True)


def awaiting_approval_by(user) -> Q:
    """Awards waiting for a senior's approval, never the senior's own (four eyes)."""
    own = Decision.objects.filter(
        complaint=OuterRef("pk"), status=Decision.Status.PENDING_APPROVAL, decided_by=user
    )
    return Q(status=Complaint.Status.AWAITING_APPROVAL) & ~Q(Exists(own))


def appeals_ready_for(user) -> Q:
    """Appeals answered (or past their response window) that this senior may resolve: never
    one whose decision they made or approved."""
    involved = Decision.objects.filter(complaint=OuterRef("pk")).filter(
        Q(decided_by=user) | Q(approved_by=user)
    )
    return Q(status=Complaint.Status.UNDER_APPEAL) & APPEAL_ANSWERED & ~Q(Exists(involved))


def team_overdue() -> Q:
    return Q(decision_overdue=True, status__in=REVIEWER_OPEN_STATUSES)
