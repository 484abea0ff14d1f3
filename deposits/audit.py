"""Recompute every deposit from its ledger and report whatever does not add up."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from .models import ZERO, DepositAccount, Disbursement, LedgerEntry

AMOUNTS = ("balance", "held", "arrears")
# Entries whose money leaves the platform: each must have its disbursement.
PAID_OUT_KINDS = (LedgerEntry.Kind.CLAIM_PAYOUT,)


@dataclass(frozen=True)
class Problem:
    account_id: int | None
    merchant: str
    message: str

    def __str__(self):
        return f"account {self.account_id} ({self.merchant}): {self.message}"


@dataclass
class _Running:
    balance: Decimal = ZERO
    held: Decimal = ZERO
    arrears: Decimal = ZERO
    entries: int = 0


def audit_deposits() -> tuple[list[Problem], dict[str, int]]:
    """Check every account against its entries; returns the problems and what was checked.

    Entries are streamed in order, so each entry's "after" values are checked against the
    running sums as well as the account's final amounts.
    """
    problems: list[Problem] = []
    accounts = {
        account.pk: account for account in DepositAccount.objects.select_related("merchant")
    }

    def report(account_id, message):
        account = accounts.get(account_id)
        problems.append(Problem(account_id, account.merchant.code if account else "?", message))

    running: dict[int, _Running] = {}
    entries = LedgerEntry.objects.order_by("account_id", "id").values_list(
        "id", "account_id", *(f"{a}_delta" for a in AMOUNTS), *(f"{a}_after" for a in AMOUNTS)
    )
    entry_count = 0
    for entry_id, account_id, *amounts in entries.iterator(chunk_size=2000):
        entry_count += 1
        deltas, afters = amounts[:3], amounts[3:]
        sums = running.setdefault(account_id, _Running())
        sums.entries += 1
        for name, delta, after in zip(AMOUNTS, deltas, afters, strict=True):
            value = getattr(sums, name) + delta
            setattr(sums, name, value)
            if value != after:
                report(
                    account_id,
                    f"entry {entry_id}: {name} after is {after}, the entries add up to {value}",
                )
        if sums.held > sums.balance or min(sums.balance, sums.held, sums.arrears) < 0:
            report(account_id, f"entry {entry_id} leaves the account out of bounds")

    for account in accounts.values():
        sums = running.get(account.pk, _Running())
        for name in AMOUNTS:
            recorded, summed = getattr(account, name), getattr(sums, name)
            if recorded != summed:
                report(account.pk, f"{name} is {recorded}, the entries add up to {summed}")
        if account.balance < 0 or account.held < 0 or account.arrears < 0:
            report(account.pk, "a negative amount")
        if account.held > account.balance:
            report(account.pk, f"held {account.held} exceeds the balance {account.balance}")

    unpaid = LedgerEntry.objects.filter(kind__in=PAID_OUT_KINDS).exclude(
        pk__in=Disbursement.objects.values("ledger_entry_id")
    )
    for entry_id, account_id in unpaid.values_list("id", "account_id"):
        report(account_id, f"payout entry {entry_id} has no disbursement")

    refunds_without_disbursement = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.EXIT_REFUND, balance_delta__lt=0
    ).exclude(pk__in=Disbursement.objects.values("ledger_entry_id"))
    for entry_id, account_id in refunds_without_disbursement.values_list("id", "account_id"):
        report(account_id, f"exit refund entry {entry_id} has no disbursement")

    # The unique index makes this impossible unless it was dropped or bypassed.
    reused = (
        LedgerEntry.objects.values("idempotency_key").annotate(uses=Count("id")).filter(uses__gt=1)
    )
    for row in reused:
        for account_id in (
            LedgerEntry.objects.filter(idempotency_key=row["idempotency_key"])
            .values_list("account_id", flat=True)
            .distinct()
        ):
            report(
                account_id, f"idempotency key {row['idempotency_key']!r} used {row['uses']} times"
            )

    return problems, {"accounts": len(accounts), "entries": entry_count}
