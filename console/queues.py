"""What waits for each platform role: the console's landing page counts each queue, names
its most urgent item and opens it in one click; the complaint list filters by the same
definitions (`?queue=`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import roles
from deposits import selectors as deposit_selectors
from deposits.models import DepositAccount
from disputes import work_queues
from disputes.models import QUEUE_ORDER, Complaint

# Counted up to here, then shown as "100+": a count stays one bounded index read.
COUNTED_AT_MOST = 100


@dataclass(frozen=True)
class Queue:
    key: str
    label: Promise
    # Ordered so that the first row is the next piece of work.
    rows: Callable[[object, datetime], QuerySet]
    list_url: Callable[[], str]
    item_url: Callable[[int], str]
    # A non-empty late queue is shown in red.
    late: bool = False
    # The column holding the deadline shown beside the count, if any.
    due_field: str | None = None
    # For the complaint list's filter: which complaints, for this user.
    condition: Callable[[object], Q] | None = None


def _complaint_queue(key, label, condition: Callable[[object], Q], *, late=False) -> Queue:
    return Queue(
        key=key,
        label=label,
        rows=lambda user, now: Complaint.objects.filter(condition(user)).order_by(*QUEUE_ORDER),
        list_url=lambda: reverse("admin:disputes_complaint_changelist") + f"?queue={key}",
        item_url=lambda pk: reverse("admin:disputes_complaint_change", args=[pk]),
        late=late,
        due_field="due_at",
        condition=condition,
    )


def _payouts(key, label, rows, status, *, late=False, due_field=None) -> Queue:
    return Queue(
        key=key,
        label=label,
        rows=lambda user, now: rows().order_by(due_field or "created_at", "pk"),
        list_url=lambda: (
            reverse("admin:deposits_disbursement_changelist") + f"?status__exact={status}"
        ),
        item_url=lambda pk: reverse("admin:deposits_disbursement_change", args=[pk]),
        late=late,
        due_field=due_field,
    )


def _accounts(key, label, condition: Callable[[datetime], Q], query: str, due_field) -> Queue:
    return Queue(
        key=key,
        label=label,
        rows=lambda user, now: DepositAccount.objects.filter(condition(now)).order_by(
            due_field, "pk"
        ),
        list_url=lambda: reverse("admin:deposits_depositaccount_changelist") + query,
        item_url=lambda pk: reverse("admin:deposits_depositaccount_change", args=[pk]),
        due_field=due_field,
    )


UNTAKEN = _complaint_queue(
    "untaken", _("Escalations no reviewer has taken"), lambda user: work_queues.UNTAKEN
)
COMPLAINT_QUEUES = (
    UNTAKEN,
    _complaint_queue("mine", _("My open cases"), work_queues.reviewers_open_cases),
    _complaint_queue(
        "answered", _("Answers to my information requests"), work_queues.answers_for_reviewer
    ),
    _complaint_queue("sent-back", _("Awards sent back to me"), work_queues.sent_back_to_reviewer),
    _complaint_queue(
        "my-overdue",
        _("My cases past their decision deadline"),
        work_queues.reviewers_overdue,
        late=True,
    ),
    _complaint_queue(
        "to-approve", _("Awards waiting for my approval"), work_queues.awaiting_approval_by
    ),
    _complaint_queue("appeals", _("Appeals ready to resolve"), work_queues.appeals_ready_for),
    _complaint_queue(
        "team-overdue",
        _("Cases past their decision deadline, whole team"),
        lambda user: work_queues.team_overdue(),
        late=True,
    ),
)
COMPLAINT_QUEUES_BY_KEY = {queue.key: queue for queue in COMPLAINT_QUEUES}
FINANCE_QUEUES = (
    _payouts("to-send", _("Payouts to send"), deposit_selectors.payouts_to_send, "pending"),
    _payouts(
        "failed",
        _("Failed payouts to retry"),
        deposit_selectors.failed_payouts,
        "failed",
        late=True,
    ),
    # Nothing to send yet: shown so finance knows what is coming, and by when at the latest.
    _payouts(
        "awaiting-account",
        _("Payouts waiting for the consumer's account"),
        deposit_selectors.payouts_awaiting_account,
        "awaiting_account",
        due_field="account_due_at",
    ),
    _accounts(
        "top-up",
        _("Stores with an open top-up notice"),
        lambda now: deposit_selectors.OPEN_TOP_UP_NOTICE,
        "?top_up=open",
        "top_up_due_by",
    ),
    _accounts(
        "exit",
        _("Exit refunds due"),
        deposit_selectors.exit_refund_due,
        "?exit=due",
        "closing_requested_at",
    ),
)


@dataclass(frozen=True)
class RoleWork:
    role: str
    title: Promise
    queues: tuple[Queue, ...]


ROLE_WORK = (
    RoleWork(roles.REVIEWERS, _("Reviewing"), COMPLAINT_QUEUES[:5]),
    RoleWork(roles.SENIOR_REVIEWERS, _("Approvals and appeals"), COMPLAINT_QUEUES[5:]),
    RoleWork(roles.FINANCE, _("Payouts and deposits"), FINANCE_QUEUES),
)


@dataclass(frozen=True)
class Waiting:
    queue: Queue
    count: int
    more: bool
    next_url: str | None
    next_due: datetime | None

    @property
    def is_late(self) -> bool:
        return self.queue.late and self.count > 0

    @property
    def next_is_overdue(self) -> bool:
        return self.next_due is not None and self.next_due <= timezone.now()


@dataclass(frozen=True)
class Section:
    title: Promise
    waiting: list[Waiting]
    may_take_next: bool


def _waiting(queue: Queue, user, now: datetime) -> Waiting:
    fields = ("pk", queue.due_field) if queue.due_field else ("pk",)
    found = list(queue.rows(user, now).values_list(*fields)[: COUNTED_AT_MOST + 1])
    first = found[0] if found else None
    return Waiting(
        queue=queue,
        count=min(len(found), COUNTED_AT_MOST),
        more=len(found) > COUNTED_AT_MOST,
        next_url=queue.item_url(first[0]) if first else None,
        next_due=first[1] if first and queue.due_field else None,
    )


def sections_for(user, now: datetime | None = None) -> list[Section]:
    """The landing page of this user: one section per platform role they hold (every
    section for a superuser), one bounded query per queue."""
    now = now or timezone.now()
    held = roles.user_roles(user)
    return [
        Section(
            title=work.title,
            waiting=[_waiting(queue, user, now) for queue in work.queues],
            may_take_next=work.role == roles.REVIEWERS,
        )
        for work in ROLE_WORK
        if user.is_superuser or work.role in held
    ]


def complaint_queues_for(user) -> list[Queue]:
    """The complaint queues this user may filter the list by."""
    held = roles.user_roles(user)
    return [
        queue
        for work in ROLE_WORK
        if user.is_superuser or work.role in held
        for queue in work.queues
        if queue.key in COMPLAINT_QUEUES_BY_KEY
    ]
