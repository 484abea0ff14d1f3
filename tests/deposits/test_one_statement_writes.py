"""A movement's writes under the deposit's lock, in one statement on PostgreSQL: the same
rows the ORM writes in three, refused whole when any of them breaks a constraint."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from deposits import services
from deposits.audit import audit_deposits
from deposits.models import Disbursement, LedgerEntry
from deposits.services import _ledger, _one_statement
from tests.conftest import POSTGRES_ONLY
from tests.deposits.helpers import snapshot
from tests.deposits.test_payout_batches import funded_with_holds, requests_for
from tests.factories import ConsumerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason=POSTGRES_ONLY),
]

D = Decimal


def pay_three_ways(account, payees, *, prefix):
    """A claim partly held (TS0: ¥500 of ¥1,000 held, the rest released), one held and
    paid on from the free balance (TS1), and one the deposit cannot cover (TS2: advanced)."""
    first, second = requests_for(payees[:2], prefix=prefix)
    partly = services.PayoutRequest(**{**first.__dict__, "amount": D("500.00")})
    beyond = services.PayoutRequest(
        **{
            **second.__dict__,
            "reference": "TS2",
            "amount": D("9000.00"),
            "payee": payees[2],
            "idempotency_key": f"{prefix}-beyond",
        }
    )
    return services.pay_out_many(account=account, requests=[partly, second, beyond])


def written(account):
    entries = [
        (
            e.kind,
            e.reference,
            e.balance_delta,
            e.held_delta,
            e.arrears_delta,
            e.balance_after,
            e.held_after,
            e.arrears_after,
            e.memo,
            e.actor_id,
        )
        # The pay-in's bank reference names the store.
        for e in LedgerEntry.objects.filter(account=account).exclude(kind="pay_in").order_by("id")
    ]
    paid = [
        (
            d.payee_id,
            d.payee_kind,
            d.amount,
            d.method,
            d.payee_account_masked,
            d.destination_version,
            d.status,
            d.reference,
            d.ledger_entry.kind,
            d.ledger_entry.reference,
            bool(d.payee_account_encrypted),
        )
        for d in Disbursement.objects.filter(ledger_entry__account=account)
        .select_related("ledger_entry")
        .order_by("id")
    ]
    account.refresh_from_db()
    return entries, paid, (account.balance, account.held, account.arrears)


def test_payouts_write_in_one_statement_what_the_orm_writes_in_three():
    payees = [ConsumerFactory() for _ in range(3)]
    by_orm, in_one = funded_with_holds(), funded_with_holds()
    with mock.patch.object(_ledger, "can_write_in_one_statement", return_value=False):
        pay_three_ways(by_orm, payees, prefix="orm")

    with CaptureQueriesContext(connection) as queries:
        results = pay_three_ways(in_one, payees, prefix="one")

    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("WITH entries AS (INSERT")
    assert written(in_one) == written(by_orm)
    assert [len(result.entries) for result in results] == [2, 1, 2]
    for result in results:
        assert all(entry.pk and not entry._state.adding for entry in result.entries)
        assert result.disbursement.pk and not result.disbursement._state.adding
        assert result.disbursement.ledger_entry is result.entries[0]
        assert result.disbursement.ledger_entry_id == result.entries[0].pk
    assert audit_deposits()[0] == []


def test_a_broken_constraint_refuses_the_whole_statement():
    account = funded_with_holds()
    payee = ConsumerFactory()
    before = snapshot(account)
    [request] = requests_for([payee], amount=D("10.00"))
    [result] = services.pay_out_many(account=account, requests=[request])
    entry = result.entries[0]
    account.refresh_from_db()
    overdrawn = LedgerEntry(
        **{
            f.attname: getattr(entry, f.attname)
            for f in LedgerEntry._meta.concrete_fields
            if not f.primary_key
        }
    )
    overdrawn.idempotency_key = overdrawn.operation_key = "overdrawn"
    overdrawn.balance_after = D("-1.00")
    after_one = snapshot(account)
    paid = Disbursement(
        payee=payee, payee_kind=Disbursement.PayeeKind.CONSUMER, amount=D("1.00"), reference="X"
    )
    paid.ledger_entry = overdrawn
    account.balance = D("0.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        _one_statement.write_in_one_statement(account, [overdrawn], [paid], using="default")

    assert snapshot(account) == after_one != before


def test_a_batch_past_the_statements_parameters_is_written_by_the_orm(monkeypatch):
    account = funded_with_holds()
    payees = [ConsumerFactory() for _ in range(3)]
    monkeypatch.setattr(_one_statement, "MAX_PARAMETERS", 50)

    with CaptureQueriesContext(connection) as queries:
        services.pay_out_many(account=account, requests=requests_for(payees, amount=D("10.00")))

    assert not any(q["sql"].startswith("WITH entries") for q in queries.captured_queries)
    assert Disbursement.objects.filter(ledger_entry__account=account).count() == 3
    assert audit_deposits()[0] == []
