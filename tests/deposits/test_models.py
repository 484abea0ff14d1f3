from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from deposits.models import DepositAccount, LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(account):
    return LedgerEntry.objects.filter(account=account).get()


def test_a_ledger_entry_refuses_to_be_saved_again(entry):
    entry.memo = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()


def test_a_ledger_entry_refuses_to_be_deleted(entry):
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()


def test_ledger_entries_refuse_bulk_update_and_delete(entry):
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="rewritten")
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.memo == ""


@pytest.mark.parametrize(
    "change",
    [
        {"balance": Decimal("-0.01")},
        {"held": Decimal("-0.01")},
        {"held": Decimal("50000.01")},
        {"arrears": Decimal("-0.01")},
    ],
    ids=["negative balance", "negative held", "held above balance", "negative arrears"],
)
def test_the_database_refuses_an_impossible_account(account, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        DepositAccount.objects.filter(pk=account.pk).update(**change)


def test_an_account_shows_what_is_available(account):
    account.held = Decimal("1000.00")
    assert account.available == Decimal("49000.00")
