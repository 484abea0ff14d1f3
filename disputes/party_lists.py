"""A party's lists: their complaints as a list shows them, searched or not, and the store
overview's waiting list and 12-month counts; each read scoped to the consumer or store."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from common.prepared import PreparedCount, PreparedRead

from .models import Appeal, Complaint, InfoRequest, Party
from .selectors import LIVE_STATUSES, STRIKE_WINDOW

LISTED_COLUMNS = (
    "number",
    "kind",
    "status",
    "due_at",
    "claimed_amount",
    "created_at",
    "order__item_title",
)


def listed(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """`complaints` with what their list shows, and no more: the complaint with its order
    and its other party is over 60 columns, of which a list shows 7."""
    return complaints.select_related(None).select_related("order").only(*LISTED_COLUMNS)


def complaints_of_consumer(user) -> QuerySet[Complaint]:
    return Complaint.objects.filter(consumer=user).select_related("order", "merchant")


def complaints_of_merchant(merchant) -> QuerySet[Complaint]:
    return Complaint.objects.filter(merchant=merchant).select_related("order", "consumer")


@cache
def _first_of_consumer(rows: int) -> PreparedRead:
    return PreparedRead(lambda user_id: listed(complaints_of_consumer(user_id))[:rows])


@cache
def _first_of_store(rows: int) -> PreparedRead:
    return PreparedRead(
        lambda merchant_id: listed(complaints_of_merchant(merchant_id)).order_by(*QUEUE)[:rows]
    )


_COUNT_OF_CONSUMER = PreparedCount(lambda user_id: Complaint.objects.filter(consumer=user_id))
_COUNT_OF_STORE = PreparedCount(lambda merchant_id: Complaint.objects.filter(merchant=merchant_id))


def unsearched_list_of_consumer(user) -> dict:
    """A consumer's whole list, as `listed(complaints_of_consumer(user))` lists it, read
    by reads compiled once: the `first_rows` and `count` of a ShortListPaginator."""
    return {
        "first_rows": lambda rows: _first_of_consumer(rows).all(user.pk),
        "count": lambda up_to: _COUNT_OF_CONSUMER.count(user.pk, up_to=up_to),
    }


def unsearched_list_of_store(merchant) -> dict:
    """A store's whole list in `QUEUE` order, as `unsearched_list_of_consumer`."""
    return {
        "first_rows": lambda rows: _first_of_store(rows).all(merchant.pk),
        "count": lambda up_to: _COUNT_OF_STORE.count(merchant.pk, up_to=up_to),
    }


def searched(
    complaints: QuerySet[Complaint], *, q="", kind="", filed_from=None, filed_to=None, status=""
):
    """A party's complaints narrowed by what they typed and chose: a complaint or order
    number's start, or words of the item; a kind; the days filed (Beijing time, both ends
    included); a status (an unknown one is ignored)."""
    if status in Complaint.Status.values:
        complaints = complaints.filter(status=status)
    if q := (q or "").strip():
        complaints = complaints.filter(
            Q(number__startswith=q.upper())
            | Q(order__order_number__startswith=q)
            | Q(order__item_title__icontains=q)
        )
    if kind:
        complaints = complaints.filter(kind=kind)
    if filed_from:
        complaints = complaints.filter(created_at__gte=_start_of(filed_from))
    if filed_to:
        complaints = complaints.filter(created_at__lt=_start_of(filed_to + timedelta(days=1)))
    return complaints


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# The order of the store's lists, as the store's queue indexes keep it: the earliest
# deadline first, complaints without one (closed, settled) last on every database (SQLite
# puts NULL first unless told).
QUEUE = (F("due_at").asc(nulls_last=True), F("created_at").desc(), F("pk").desc())


def _waiting_kinds(merchant_id: int, limit: int) -> list[QuerySet[Complaint]]:
    """One query per kind of waiting, each read along the store's status queue index.

    The open request or appeal is a scalar subquery, not EXISTS: PostgreSQL turns EXISTS
    into a join that hashes every open appeal of every store (10 ms at a million
    complaints) where the subquery probes one row for each complaint walked."""
    Status = Complaint.Status
    open_request = InfoRequest.objects.filter(
        complaint=OuterRef("pk"),
        party=Party.MERCHANT,
        answered_at__isnull=True,
        lapsed_at__isnull=True,
    )
    open_appeal = Appeal.objects.filter(
        complaint=OuterRef("pk"),
        party=Party.CONSUMER,
        responded_at__isnull=True,
        response_lapsed=False,
    )
    complaints = listed(Complaint.objects.filter(merchant_id=merchant_id)).order_by(*QUEUE)
    return [
        complaints.filter(status=Status.NEGOTIATING)[:limit],
        complaints.filter(status=Status.AWAITING_MERCHANT_PAYMENT)[:limit],
        complaints.alias(open_request=Subquery(open_request.values("pk")[:1])).filter(
            open_request__isnull=False, status=Status.AWAITING_INFO
        )[:limit],
        complaints.alias(open_appeal=Subquery(open_appeal.values("pk")[:1])).filter(
            open_appeal__isnull=False, status=Status.UNDER_APPEAL
        )[:limit],
    ]


@cache
def _waiting_reads(limit: int) -> list[PreparedRead]:
    """The store overview's four reads, compiled once per process for each limit."""

    def read(kind: int) -> PreparedRead:
        return PreparedRead(lambda merchant_id: _waiting_kinds(merchant_id, limit)[kind])

    return [read(kind) for kind in range(len(_waiting_kinds(0, limit)))]


def waiting_for_merchant(merchant, *, limit: int) -> list[Complaint]:
    """The first `limit` complaints where the store has something to do (answer, inform,
    pay first, respond to an appeal), the earliest deadline first: the first of each kind
    (as one query with OR, PostgreSQL hashes every open request and appeal of every store
    first), merged here."""
    firsts = [complaint for read in _waiting_reads(limit) for complaint in read.all(merchant.pk)]
    return sorted(firsts, key=_queue_position)[:limit]


def _queue_position(complaint: Complaint) -> tuple:
    """Where `QUEUE` puts a complaint: by deadline (none last), then newest first."""
    due = complaint.due_at
    return (
        due is None,
        due.timestamp() if due else 0,
        -complaint.created_at.timestamp(),
        -complaint.pk,
    )


@dataclass(frozen=True)
class ComplaintStats:
    filed: int
    settled: int
    escalated: int
    open: int
    # When the oldest counted complaint leaves the window, and the counts change with it.
    changes_at: datetime | None


# The store overview's counts, compiled once: grouped by the store it is filtered on, one
# row or none. They count a column of the complaint_store_recent index (never null), so
# PostgreSQL reads the index alone; counting ids would read every row.
_STATS_SINCE = PreparedRead(
    lambda merchant_id, since: (
        Complaint.objects.filter(merchant_id=merchant_id, created_at__gte=since)
        .order_by()
        .values("merchant_id")
        .annotate(
            filed=Count("created_at"),
            settled=Count("created_at", filter=Q(status=Complaint.Status.SETTLED)),
            escalated=Count("created_at", filter=Q(escalated_at__isnull=False)),
            open=Count("created_at", filter=Q(status__in=LIVE_STATUSES)),
            oldest=Min("created_at"),
        )
        .values_list("filed", "settled", "escalated", "open", "oldest")
    ),
    keys=(int, datetime),
)


def merchant_complaint_stats(merchant, now: datetime) -> ComplaintStats:
    """The last 12 months of complaints against a store, in one query."""
    rows = _STATS_SINCE.rows(merchant.pk, now - STRIKE_WINDOW)
    if not rows:
        return ComplaintStats(0, 0, 0, 0, changes_at=None)
    filed, settled, escalated, still_open, oldest = rows[0]
    return ComplaintStats(filed, settled, escalated, still_open, oldest + STRIKE_WINDOW)
