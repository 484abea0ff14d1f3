"""What must hold after each write figure: every step applied exactly once, the ledger sound."""

from collections import Counter

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django_fsm_log.models import StateLog

from deposits.audit import audit_deposits
from deposits.models import Disbursement, LedgerEntry
from disputes.models import Complaint

MAX_LISTED = 3


def _listed(items) -> str:
    items = sorted(items)
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return ", ".join(map(str, items[:MAX_LISTED])) + more


def _per_reference(kind: str, references: list[str]) -> Counter:
    rows = (
        LedgerEntry.objects.filter(kind=kind, reference__in=references)
        .values_list("reference")
        .annotate(n=Count("id"))
    )
    return Counter(dict(rows))


def _not_exactly_once(counts: Counter, keys) -> list:
    return [key for key in keys if counts.get(key, 0) != 1]


def ledger_problems() -> list[str]:
    problems, _checked = audit_deposits()
    return [f"ledger audit: {problem}" for problem in problems]


def _transitions(complaints: list[Complaint], transition: str) -> Counter:
    rows = (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint),
            object_id__in=[c.pk for c in complaints],
            transition=transition,
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
    )
    return Counter({int(object_id): n for object_id, n in rows})


def escalated_once(complaints: list[Complaint], moved: int) -> list[str]:
    """Each silent complaint escalated by the system once: one transition, one hold."""
    problems = []
    if moved != len(complaints):
        problems.append(f"the sweep reported {moved} steps for {len(complaints)} complaints")
    pks = [c.pk for c in complaints]
    wrong = Complaint.objects.filter(pk__in=pks).exclude(
        status=Complaint.Status.UNDER_REVIEW, escalated_by_system=True
    )
    if stuck := list(wrong.values_list("number", flat=True)):
        problems.append(f"not escalated by the system: {_listed(stuck)}")
    logs = _transitions(complaints, "escalate")
    if twice := _not_exactly_once(logs, pks):
        problems.append(f"escalate logged other than once for complaints {_listed(twice)}")
    references = [c.ledger_reference for c in complaints]
    holds = _per_reference(LedgerEntry.Kind.HOLD, references)
    if wrong_holds := _not_exactly_once(holds, references):
        problems.append(f"not exactly one hold for {_listed(wrong_holds)}")
    return problems + ledger_problems()


def paid_once(complaints: list[Complaint]) -> list[str]:
    """Each decided complaint paid once from the deposit, with its disbursement."""
    problems = []
    pks = [c.pk for c in complaints]
    unpaid = Complaint.objects.filter(pk__in=pks).exclude(status=Complaint.Status.PAID)
    if left := list(unpaid.values_list("number", flat=True)):
        problems.append(f"not paid: {_listed(left)}")
    references = [c.ledger_reference for c in complaints]
    payouts = _per_reference(LedgerEntry.Kind.CLAIM_PAYOUT, references)
    if wrong := _not_exactly_once(payouts, references):
        problems.append(f"not exactly one payout entry for {_listed(wrong)}")
    disbursed = Disbursement.objects.filter(reference__in=references).count()
    if disbursed != len(references):
        problems.append(f"{disbursed} disbursements for {len(references)} payouts")
    return problems + ledger_problems()


def transitioned_once(complaints: list[Complaint], transition: str) -> list[str]:
    logs = _transitions(complaints, transition)
    if twice := _not_exactly_once(logs, [c.pk for c in complaints]):
        return [f"{transition} logged other than once for complaints {_listed(twice)}"]
    return []


def paid_out_once(reference_prefix: str, expected: int) -> list[str]:
    """Bare ledger payouts: one entry and one disbursement per call."""
    entries = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.CLAIM_PAYOUT, reference__startswith=reference_prefix
    )
    references = list(entries.values_list("reference", flat=True))
    problems = []
    if len(references) != expected or len(set(references)) != expected:
        problems.append(f"{len(references)} payout entries for {expected} calls")
    disbursed = Disbursement.objects.filter(reference__startswith=reference_prefix).count()
    if disbursed != expected:
        problems.append(f"{disbursed} disbursements for {expected} calls")
    return problems + ledger_problems()


def filed_once(order_ids: list[int], expected: int) -> list[str]:
    filed = Complaint.objects.filter(order_id__in=order_ids).count()
    return [] if filed == expected else [f"{filed} complaints filed for {expected} orders"]
