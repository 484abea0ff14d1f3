"""What a payout reads and writes: it holds the busiest lock of the platform (a store's
deposit), so every statement it saves is a statement less on every payout of that store."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deposits import services
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement
from deposits.policy import most_required_under, policy_in_force
from tests.compiling import compiled_reads, reading
from tests.factories import ConsumerFactory
from webhooks import events as webhook_events

pytestmark = pytest.mark.django_db

D = Decimal
# The lock, the earlier entries and what the claim holds, the entries, the account, the
# disbursement, the webhook subscriptions (read once per transaction, webhooks/events.py);
# and the savepoint around the call, the tests running in a transaction.
PAYOUT_STATEMENTS = 8


def pay(account, amount, *, key):
    return services.pay_out(
        account=account,
        reference="TS1",
        amount=amount,
        payee=ConsumerFactory(),
        destination=Destination.of(method=Disbursement.Method.ALIPAY, number="138****0000"),
        idempotency_key=key,
    )


def store_reads(queries) -> list[str]:
    """The reads of the store's facts and categories (what it must keep depends on them)."""
    facts = ('FROM "merchants_merchant" ', 'FROM "merchants_category" ')
    return [q["sql"] for q in queries.captured_queries if any(f in q["sql"] for f in facts)]


@pytest.fixture
def well_covered(account):
    """The account with far more than any store must keep under the policy in force."""
    services.record_pay_in(
        account=account,
        amount=most_required_under(policy_in_force()) + D("1000000.00"),
        reference="BANK-2",
        idempotency_key="well-covered",
    )
    return account


def test_a_payout_that_cannot_leave_the_store_short_does_not_read_the_store(
    well_covered, django_assert_max_num_queries
):
    payee = ConsumerFactory()
    with django_assert_max_num_queries(PAYOUT_STATEMENTS) as queries:
        services.pay_out(
            account=well_covered,
            reference="TS1",
            amount=D("100.00"),
            payee=payee,
            destination=Destination.of(method=Disbursement.Method.ALIPAY, number="138****0000"),
            idempotency_key="p",
        )
    assert store_reads(queries) == []


def test_a_payout_that_may_leave_the_store_short_reads_it_before_the_deposits_lock(account):
    with CaptureQueriesContext(connection) as queries:
        pay(account, D("10000.00"), key="p")
    sql = [q["sql"] for q in queries.captured_queries]
    # The account's row is read once, under its lock (FOR NO KEY UPDATE on PostgreSQL).
    lock = next(i for i, s in enumerate(sql) if s.startswith('SELECT "deposits_depositaccount"'))
    assert store_reads(queries)
    assert all(sql.index(read) < lock for read in store_reads(queries))
    account.refresh_from_db()
    assert account.top_up_amount_due == D("10000.00")


def test_a_payout_reads_the_webhook_subscriptions_before_the_deposits_lock(well_covered):
    webhook_events.forget_subscriptions()  # as in a transaction of its own
    with CaptureQueriesContext(connection) as queries:
        pay(well_covered, D("100.00"), key="p")
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if s.startswith('SELECT "deposits_depositaccount"'))
    [read] = [i for i, s in enumerate(sql) if '"webhooks_subscription"' in s]
    assert read < lock


def test_a_payout_on_an_old_copy_of_the_account_still_asks_for_the_top_up(account):
    """The copy says the deposit is deep; under the lock it is not, and the notice opens."""
    more = most_required_under(policy_in_force()) + D("1000000.00")
    services.record_pay_in(account=account, amount=more, reference="BANK-2", idempotency_key="in")
    old_copy = DepositAccount.objects.get(pk=account.pk)
    pay(account, more, key="first")

    pay(old_copy, D("10000.00"), key="second")

    account.refresh_from_db()
    assert account.balance == D("40000.00")
    assert account.top_up_amount_due == D("10000.00")
    assert account.top_up_due_by is not None


def test_a_payout_compiles_none_of_its_reads_once_the_process_has_paid_one(well_covered):
    pay(well_covered, D("100.00"), key="first")

    with compiled_reads() as compiled:
        pay(well_covered, D("100.00"), key="second")

    assert reading(compiled, "deposits_depositaccount", "deposits_ledgerentry") == []
