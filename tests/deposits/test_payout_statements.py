"""What a payout reads and writes: it holds the busiest lock of the platform (a store's
deposit), so every statement it saves is a statement less on every payout of that store."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from deposits import services
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement
from deposits.policy import most_required_under, policy_in_force
from tests.compiling import compiled_reads, reading
from tests.deposits.helpers import PAYOUT_WRITES
from tests.factories import ConsumerFactory
from webhooks import events as webhook_events

pytestmark = pytest.mark.django_db

D = Decimal
# The lock, the earlier entries and what the claim holds, the writes, the webhook
# subscriptions (read once per transaction, webhooks/events.py); and the savepoint around
# the call and its release, the tests running in a transaction.
PAYOUT_STATEMENTS = 5 + PAYOUT_WRITES


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


HUNDRED = D("100.00")


def request_for(key: str, amount=HUNDRED) -> services.PayoutRequest:
    return services.PayoutRequest(
        reference="TS1",
        amount=amount,
        payee=ConsumerFactory(),
        destination=Destination.of(method=Disbursement.Method.ALIPAY, number="138****0000"),
        idempotency_key=key,
    )


def test_a_payout_in_the_callers_transaction_pays_as_pay_out_does_without_a_savepoint(
    well_covered,
):
    request, alone = request_for("in-transaction"), request_for("alone")
    webhook_events.forget_subscriptions()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        result = services.pay_out_in_transaction(account=well_covered, request=request)
    webhook_events.forget_subscriptions()
    with CaptureQueriesContext(connection) as alone_queries:
        services.pay_out(account=well_covered, **vars(alone))

    assert result.amount_paid == D("100.00")
    assert result.disbursement.pk is not None
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "SAVEPOINT" in s]
    assert len(sql) == len(alone_queries.captured_queries) - 2


def test_a_payout_in_the_callers_transaction_is_replayed_by_its_key(well_covered):
    request = request_for("twice")
    with transaction.atomic():
        first = services.pay_out_in_transaction(account=well_covered, request=request)
    with transaction.atomic():
        again = services.pay_out_in_transaction(account=well_covered, request=request)

    assert [e.pk for e in again.entries] == [e.pk for e in first.entries]
    assert Disbursement.objects.filter(reference="TS1").count() == 1


def test_a_refused_payout_in_the_callers_transaction_leaves_it_only_to_roll_back(well_covered):
    """No savepoint of its own: a caller cannot catch the refusal and carry on writing."""
    before = DepositAccount.objects.get(pk=well_covered.pk).balance
    with transaction.atomic():
        DepositAccount.objects.filter(pk=well_covered.pk).update(balance=before - 1)
        with pytest.raises(ValidationError):
            services.pay_out_in_transaction(account=well_covered, request=request_for(" ", D("1")))
        with pytest.raises(TransactionManagementError):
            DepositAccount.objects.filter(pk=well_covered.pk).update(balance=before - 2)

    assert DepositAccount.objects.get(pk=well_covered.pk).balance == before


@pytest.mark.django_db(transaction=True)
def test_a_payout_in_a_transaction_refuses_to_run_outside_one(well_covered):
    with pytest.raises(TransactionManagementError):
        services.pay_out_in_transaction(account=well_covered, request=request_for("outside"))

    assert not Disbursement.objects.exists()
