import csv
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from deposits import services
from deposits.statement import statement_lines
from tests.factories import DepositAccountFactory

pytestmark = pytest.mark.django_db


def read(account):
    text = "".join(statement_lines(account))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_statement_lists_every_entry_in_china_time():
    account = DepositAccountFactory()
    entry = services.record_pay_in(
        account=account,
        amount=Decimal("1000.00"),
        reference="BANK-7",
        idempotency_key="k",
        memo="First",
    ).entries[0]
    services.hold(account=account, amount=Decimal("250.50"), reference="TS1", idempotency_key="h")
    china_time = entry.created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )

    # Whatever zone the request runs in, the statement speaks China time.
    with translation.override("en"), timezone.override(ZoneInfo("America/New_York")):
        header, pay_in, hold = read(account)

    assert header == [
        "Date",
        "Kind",
        "Reference",
        "Balance change",
        "Held change",
        "Arrears change",
        "Balance after",
        "Held after",
        "Arrears after",
        "Memo",
    ]
    assert pay_in == [
        china_time,
        "Pay-in",
        "BANK-7",
        "1000.00",
        "0.00",
        "0.00",
        "1000.00",
        "0.00",
        "0.00",
        "First",
    ]
    assert hold[1:] == ["Hold", "TS1", "0.00", "250.50", "0.00", "1000.00", "250.50", "0.00", ""]


def test_the_statement_defuses_spreadsheet_formulas_in_free_text():
    account = DepositAccountFactory()
    services.record_pay_in(
        account=account,
        amount=Decimal("1"),
        reference="=HYPERLINK(1)",
        idempotency_key="k",
        memo="@x",
    )
    _header, row = read(account)
    assert (row[2], row[9]) == ("'=HYPERLINK(1)", "'@x")
