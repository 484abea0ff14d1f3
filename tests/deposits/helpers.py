from deposits.models import DepositAccount, Disbursement, LedgerEntry


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
