"""Which users and rows of the load database the pages are measured with.

The load generator names its people `load-...@load.test` (one password for all): the
consumer with the most complaints, the owner of the busiest store (`load-store-1`), a
reviewer, and a complaint under review for the console. Options can name other users.
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.db import connection
from django.db.models import Count

from accounts import roles
from accounts.models import User
from disputes.models import Complaint
from merchants.models import MerchantMember

LOAD_PREFIX = "load-"
BUSY_STORE = "load-store-1"
FIRST_REVIEWER = "load-reviewer-1@load.test"


@dataclass(frozen=True)
class Targets:
    consumer: str
    consumer_complaints: int
    complaint_number: str
    seller: str
    store_code: str
    store_complaints: int
    reviewer: str
    case_pk: int
    case_number: str
    case_status: str
    order_number: str
    case_consumer: str

    def console_search(self, term: str) -> str:
        return f"/admin/disputes/complaint/?q={quote(term)}"


class NoTarget(RuntimeError):
    pass


def _busiest_consumer(username: str | None) -> tuple[str, int]:
    complaints = Complaint.objects.all()
    if username:
        complaints = complaints.filter(consumer__username=username)
    else:
        complaints = complaints.filter(consumer__username__startswith=LOAD_PREFIX)
    row = (
        complaints.values("consumer__username")
        .annotate(n=Count("id"))
        .order_by("-n", "consumer__username")
        .first()
    )
    if row is None:
        raise NoTarget("no consumer with complaints: load the data first (or name --consumer)")
    return row["consumer__username"], row["n"]


def _store_owner(username: str | None) -> MerchantMember:
    members = MerchantMember.objects.select_related("merchant", "user")
    if username:
        member = members.filter(user__username=username).first()
    else:
        owners = members.filter(role=MerchantMember.Role.OWNER)
        member = owners.filter(merchant__code=BUSY_STORE).first()
        if member is None:
            busiest = (
                Complaint.objects.filter(merchant__code__startswith=LOAD_PREFIX)
                .values("merchant")
                .annotate(n=Count("id"))
                .order_by("-n")
                .first()
            )
            member = busiest and owners.filter(merchant_id=busiest["merchant"]).first()
    if member is None:
        raise NoTarget("no store owner found: load the data first (or name --seller)")
    return member


def _reviewer(username: str | None) -> str:
    users = User.objects.filter(is_staff=True, groups__name=roles.REVIEWERS)
    candidates = [username] if username else [FIRST_REVIEWER]
    user = users.filter(username__in=candidates).first()
    if user is None and not username:
        user = users.filter(username__startswith=LOAD_PREFIX).order_by("username").first()
    if user is None:
        raise NoTarget("no reviewer found: load the data first (or name --reviewer)")
    return user.username


def _case() -> Complaint:
    """The newest complaint under review: a case page with a hold, a timeline and a reviewer."""
    complaints = Complaint.objects.select_related("order", "consumer").order_by("-pk")
    case = complaints.filter(status=Complaint.Status.UNDER_REVIEW).first() or complaints.first()
    if case is None:
        raise NoTarget("the database has no complaints")
    return case


def find_targets(*, consumer=None, seller=None, reviewer=None) -> Targets:
    consumer_name, consumer_count = _busiest_consumer(consumer)
    latest = (
        Complaint.objects.filter(consumer__username=consumer_name).order_by("-created_at").first()
    )
    owner = _store_owner(seller)
    case = _case()
    return Targets(
        consumer=consumer_name,
        consumer_complaints=consumer_count,
        complaint_number=latest.number,
        seller=owner.user.username,
        store_code=owner.merchant.code,
        store_complaints=Complaint.objects.filter(merchant=owner.merchant).count(),
        reviewer=_reviewer(reviewer),
        case_pk=case.pk,
        case_number=case.number,
        case_status=case.status,
        order_number=case.order.order_number,
        case_consumer=case.consumer.username,
    )


def database_facts() -> list[tuple[str, str]]:
    """Size and shape of the database the pages read, and the settings commits depend on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), pg_size_pretty(pg_database_size(current_database())),"
            " current_setting('server_version'), current_setting('synchronous_commit'),"
            " current_setting('fsync'), current_setting('shared_buffers')"
        )
        name, size, version, synchronous_commit, fsync, shared_buffers = cursor.fetchone()
    complaints = Complaint.objects.count()
    return [
        ("database", f"`{name}`, {size}, {complaints:,} complaints"),
        (
            "PostgreSQL",
            f"{version}, synchronous_commit={synchronous_commit}, fsync={fsync}, "
            f"shared_buffers={shared_buffers}",
        ),
    ]
