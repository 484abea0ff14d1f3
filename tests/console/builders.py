"""Rows for the dashboard's figures at chosen moments (the services stamp `now`)."""

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from deposits.models import LedgerEntry
from disputes.models import Complaint, Decision
from merchants.models import Merchant
from tests.factories import (
    ComplaintFactory,
    DepositAccountFactory,
    MerchantFactory,
    PlatformUserFactory,
)

CHINA = ZoneInfo("Asia/Shanghai")
_keys = count()


def at(day: str, clock: str = "15:00") -> datetime:
    """A moment in Beijing time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


def complaint(**fields) -> Complaint:
    """A complaint with the given timestamps (created_at, escalated_at, paid_at), store,
    reviewer and status."""
    if "merchant" in fields:
        fields.setdefault("order__merchant", fields.pop("merchant"))
    return ComplaintFactory(**fields)


def decide(case: Complaint, decided_at: datetime, **fields) -> Decision:
    """A decision on `case`, final unless `status` says otherwise."""
    return Decision.objects.create(
        complaint=case,
        outcome=Decision.Outcome.UPHELD,
        reason_code=Decision.ReasonCode.RULE_BROKEN,
        reasoning="商家违反了所投诉的规则。",
        decided_by=case.assigned_reviewer or PlatformUserFactory(),
        decided_at=decided_at,
        **fields,
    )


def ledger_entry(kind: str, balance_delta, created_at: datetime, account=None):
    """One ledger row at `created_at`; the running totals do not matter to the dashboard."""
    key = f"dashboard-test-{next(_keys)}"
    return LedgerEntry.objects.create(
        account=account or DepositAccountFactory(),
        kind=kind,
        balance_delta=Decimal(balance_delta),
        balance_after=Decimal("0.00"),
        held_after=Decimal("0.00"),
        arrears_after=Decimal("0.00"),
        created_at=created_at,
        idempotency_key=key,
        operation_key=key,
        request_digest="test",
    )


STORE_NAMES = (
    "优品数码旗舰店",
    "鲜果园专营店",
    "悦读图书专卖店",
    "潮流服饰旗舰店",
    "安康大药房旗舰店",
)
REVIEWER_NAMES = ("王芳", "李强", "张敏")


def busy_platform(count: int) -> None:
    """`count` complaints spread over the last 13 weeks, most recent first: filed, two in
    three escalated, most of those decided after 1 to 6 days and then paid from the deposit,
    the rest still with a reviewer (one in five past the target); and a restricted store
    and a store short of its deposit. Always the same for the same count."""
    now = datetime.now(tz=CHINA)
    stores = [MerchantFactory(name=name) for name in STORE_NAMES]
    reviewers = [PlatformUserFactory(display_name=name) for name in REVIEWER_NAMES]
    for number in range(count):
        filed = now - timedelta(days=(number * 7 + 10) % 88, hours=number % 9 + 1)
        escalated = filed + timedelta(hours=50) if number % 3 != 2 else None
        decided = (
            escalated + timedelta(days=number % 6 + 1) if escalated and number % 4 != 3 else None
        )
        if escalated and escalated > now:
            escalated = decided = None
        if decided and decided > now:
            decided = None
        case = complaint(
            merchant=stores[min(number % 7, len(stores) - 1)],  # the last one gets 3 in 7
            created_at=filed,
            escalated_at=escalated,
            paid_at=decided,
            assigned_reviewer=reviewers[number % len(reviewers)] if escalated else None,
            status=_status(escalated, decided),
            decision_overdue=bool(escalated and not decided and number % 5 == 0),
        )
        if decided:
            decide(case, decided)
            amount = Decimal(80 + number * 37 % 900)
            ledger_entry(LedgerEntry.Kind.CLAIM_PAYOUT, -amount, decided)
    MerchantFactory(name="星光家居旗舰店", status=Merchant.Status.RESTRICTED)
    DepositAccountFactory(
        merchant__name="优选母婴专营店",
        top_up_amount_due=Decimal("40000.00"),
        top_up_due_by=now + timedelta(days=9),
    )


def _status(escalated, decided) -> str:
    if decided:
        return Complaint.Status.PAID
    return Complaint.Status.UNDER_REVIEW if escalated else Complaint.Status.NEGOTIATING
