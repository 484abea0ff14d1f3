from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from deposits import services
from deposits.audit import audit_deposits
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement
from tests.factories import ConsumerFactory, DepositAccountFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def busy_account(account):
    services.hold(account=account, amount=D("5000"), reference="TS1", idempotency_key="h")
    services.pay_out(
        account=account,
        reference="TS1",
        amount=D("60000"),
        payee=ConsumerFactory(),
        destination=Destination.of(method="alipay", number="x@example.com"),
        idempotency_key="p",
    )
    services.record_pay_in(account=account, amount=D("70000"), reference="B", idempotency_key="t")
    return account


def test_the_audit_passes_on_a_consistent_ledger(busy_account, capsys):
    DepositAccountFactory()
    problems, checked = audit_deposits()
    assert problems == []
    assert checked["accounts"] == 2
    call_command("audit_deposits")
    assert "all balanced" in capsys.readouterr().out


def test_the_audit_names_an_account_whose_balance_was_changed_behind_the_ledger(busy_account):
    sound = DepositAccountFactory(paid_in=D("10"))
    DepositAccount.objects.filter(pk=busy_account.pk).update(balance=D("60001.00"))
    problems, _checked = audit_deposits()
    assert {problem.account_id for problem in problems} == {busy_account.pk}
    assert sound.pk not in {problem.account_id for problem in problems}
    with pytest.raises(CommandError, match=rf"\({busy_account.pk}\)"):
        call_command("audit_deposits")


def test_the_audit_finds_a_payout_without_its_disbursement(busy_account):
    # Only raw SQL can do this: the models protect both rows.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Disbursement._meta.db_table}")  # noqa: S608
    problems, _checked = audit_deposits()
    assert any("no disbursement" in problem.message for problem in problems)


def test_the_audit_finds_an_entry_whose_after_values_do_not_add_up(busy_account):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE deposits_ledgerentry SET balance_delta = balance_delta + 1 WHERE id = "
            "(SELECT MIN(id) FROM deposits_ledgerentry)"
        )
    problems, _checked = audit_deposits()
    assert any("after is" in problem.message for problem in problems)
