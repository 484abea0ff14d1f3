"""One statement sets a column of many rows to each row's own value, and others to one."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.db import update_rows
from deposits.models import DepositAccount
from tests.factories import DepositAccountFactory

pytestmark = pytest.mark.django_db


def funded():
    return DepositAccountFactory(paid_in=Decimal("100.00"))


def test_each_row_gets_its_own_value_and_every_row_the_shared_ones():
    first, second, untouched = funded(), funded(), funded()
    moment = timezone.now().replace(microsecond=0)

    with CaptureQueriesContext(connection) as queries:
        update_rows(
            DepositAccount,
            "held",
            {first.pk: Decimal("12.50"), second.pk: Decimal("0.00")},
            also={"top_up_amount_due": Decimal("7.00"), "top_up_due_by": moment},
        )

    assert len(queries.captured_queries) == 1
    rows = {
        account.pk: (account.held, account.top_up_amount_due, account.top_up_due_by)
        for account in DepositAccount.objects.all()
    }
    assert rows[first.pk] == (Decimal("12.50"), Decimal("7.00"), moment)
    assert rows[second.pk] == (Decimal("0.00"), Decimal("7.00"), moment)
    assert rows[untouched.pk] == (untouched.held, Decimal("0.00"), None)


def test_without_shared_values_only_the_column_changes():
    account = funded()
    update_rows(DepositAccount, "held", {account.pk: Decimal("3.00")})
    account.refresh_from_db()
    assert (account.held, account.top_up_due_by) == (Decimal("3.00"), None)


def test_no_rows_is_no_statement():
    with CaptureQueriesContext(connection) as queries:
        update_rows(DepositAccount, "held", {}, also={"top_up_due_by": None})
    assert queries.captured_queries == []
