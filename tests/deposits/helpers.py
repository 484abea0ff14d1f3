from django.db import connection

from deposits.models import DepositAccount, Disbursement, LedgerEntry

# A payout's writes under the deposit's lock (its entries, the account, its disbursement):
# one statement on PostgreSQL (deposits/services/_one_statement.py), three elsewhere.
PAYOUT_WRITES = 1 if connection.vendor == "postgresql" else 3


def snapshot(account: DepositAccount) -> tuple:
    """Everything a refused call must leave untouched."""
    account.refresh_from_db()
    return (
        account.balance,
        account.held,
        account.arrears,
        account.top_up_amount_due,
        account.top_up_due_by,
        LedgerEntry.objects.count(),
        Disbursement.objects.count(),
    )


def amounts(account: DepositAccount) -> tuple:
    account.refresh_from_db()
    return account.balance, account.held, account.arrears
