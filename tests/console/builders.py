"""Rows for the dashboard's figures at chosen moments (the services stamp `now`)."""

from datetime import datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from deposits.models import LedgerEntry
from disputes.models import Complaint, Decision
from tests.factories import ComplaintFactory, DepositAccountFactory, PlatformUserFactory

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


def ledger_entry(kind: str, balance_delta: str, created_at: datetime, account=None):
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
