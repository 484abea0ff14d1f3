"""Payouts from one deposit in one batch (`pay_out_many`): each exactly as `pay_out` makes
it, under one lock and in a fixed number of statements, however many."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deposits import services
from deposits.audit import audit_deposits
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement, LedgerEntry
from deposits.policy import most_required_under, policy_in_force
from tests.deposits.helpers import PAYOUT_WRITES, snapshot
from tests.factories import ConsumerFactory, DepositAccountFactory

pytestmark = pytest.mark.django_db

D = Decimal
ALIPAY = Destination.of(method=Disbursement.Method.ALIPAY, number="138****0000")


CLAIM = D("3000.00")
NOTHING = D("0")


def requests_for(payees, *, prefix="p", amount=CLAIM, capped=NOTHING, reference=None):
    return [
        services.PayoutRequest(
            reference=reference or f"TS{i}",
            amount=amount,
            capped_amount=capped,
            payee=payee,
            destination=ALIPAY,
            idempotency_key=f"{prefix}{i}",
        )
        for i, payee in enumerate(payees)
    ]


def ledger_of(account):
    return [
        (e.kind, e.reference, e.balance_delta, e.held_delta, e.arrears_delta, e.balance_after)
        for e in LedgerEntry.objects.filter(account=account).order_by("id")
    ]


def funded_with_holds():
    """¥10,000 paid in, ¥1,000 held for each of TS0 and TS1."""
    account = DepositAccountFactory(paid_in=D("10000.00"))
    for reference in ("TS0", "TS1"):
        services.hold(
            account=account,
            amount=D("1000.00"),
            reference=reference,
            idempotency_key=f"{account.pk}-{reference}",
        )
    return account


def test_a_batch_posts_what_the_same_payouts_one_by_one_post():
    payees = [ConsumerFactory() for _ in range(4)]
    one_by_one, batched = funded_with_holds(), funded_with_holds()
    for request in requests_for(payees, capped=D("500.00")):
        services.pay_out(
            account=DepositAccount.objects.get(pk=one_by_one.pk),
            reference=request.reference,
            amount=request.amount,
            capped_amount=request.capped_amount,
            payee=request.payee,
            destination=request.destination,
            idempotency_key=request.idempotency_key,
        )
    results = services.pay_out_many(
        account=batched, requests=requests_for(payees, prefix="b", capped=D("500.00"))
    )

    assert ledger_of(batched)[2:] == ledger_of(one_by_one)[2:]
    # Four claims of ¥3,500 from ¥10,000: the last is short and the platform advances it.
    assert [r.advanced for r in results] == [D("0"), D("0"), D("0"), D("3000.00")]
    assert [r.capped_paid for r in results] == [D("500.00"), D("500.00"), D("0"), D("0")]
    assert [d.amount for d in Disbursement.objects.order_by("id")][-4:] == [
        r.amount_paid for r in results
    ]
    assert audit_deposits()[0] == []


def test_two_payouts_of_one_claim_in_a_batch_use_its_hold_once():
    account = funded_with_holds()
    payee = ConsumerFactory()
    results = services.pay_out_many(
        account=account,
        requests=requests_for([payee, payee], amount=D("800.00"), reference="TS0"),
    )
    account.refresh_from_db()
    # The first pays ¥800 from the hold and releases the other ¥200; the second pays from
    # the free balance.
    assert [r.amount_paid for r in results] == [D("800.00"), D("800.00")]
    assert (account.balance, account.held) == (D("8400.00"), D("1000.00"))
    assert audit_deposits()[0] == []


def test_a_batch_replayed_returns_its_first_answers_and_writes_nothing():
    account = funded_with_holds()
    payees = [ConsumerFactory() for _ in range(3)]
    first = services.pay_out_many(account=account, requests=requests_for(payees))
    before = snapshot(account)
    again = services.pay_out_many(account=account, requests=requests_for(payees))
    assert snapshot(account) == before
    assert [r.disbursement.pk for r in again] == [r.disbursement.pk for r in first]
    assert [r.amount_paid for r in again] == [r.amount_paid for r in first]


def test_a_batch_with_replayed_and_new_requests_writes_only_the_new():
    account = funded_with_holds()
    payees = [ConsumerFactory() for _ in range(3)]
    services.pay_out_many(account=account, requests=requests_for(payees[:1]))
    results = services.pay_out_many(account=account, requests=requests_for(payees))
    assert Disbursement.objects.count() == 3
    assert len({r.disbursement.pk for r in results}) == 3


@pytest.mark.parametrize(
    "broken",
    [
        {"amount": D("0"), "capped_amount": D("0")},
        {"amount": D("0.001")},
        {"reference": " "},
        {"destination": None},
        {"idempotency_key": "p0"},
    ],
)
def test_one_bad_request_refuses_the_whole_batch(broken):
    account = funded_with_holds()
    payees = [ConsumerFactory() for _ in range(2)]
    good, second = requests_for(payees)
    fields = {**second.__dict__, **broken}
    before = snapshot(account)
    with pytest.raises(ValidationError):
        services.pay_out_many(account=account, requests=[good, services.PayoutRequest(**fields)])
    assert snapshot(account) == before


def test_a_key_used_before_for_another_payout_refuses_the_batch():
    account = funded_with_holds()
    payees = [ConsumerFactory() for _ in range(2)]
    services.pay_out_many(account=account, requests=requests_for(payees[:1]))
    before = snapshot(account)
    with pytest.raises(services.IdempotencyConflict):
        services.pay_out_many(account=account, requests=requests_for(payees, amount=D("1.00")))
    assert snapshot(account) == before


# SQLite splits an INSERT past its 999 parameters (some 40 disbursements); PostgreSQL not.
@pytest.mark.parametrize("size", [1, 30])
def test_a_batch_takes_the_same_statements_whatever_its_size(size):
    deep = most_required_under(policy_in_force()) + D("1000000.00")
    account = DepositAccountFactory(paid_in=deep)
    payees = [ConsumerFactory() for _ in range(size)]
    requests = requests_for(payees, amount=D("10.00"))
    policy_in_force()
    with CaptureQueriesContext(connection) as queries:
        services.pay_out_many(account=account, requests=requests)
    # The savepoint and its release, the lock, the earlier entries and holds, the writes,
    # the webhook subscriptions.
    assert len(queries) == 5 + PAYOUT_WRITES, [q["sql"][:60] for q in queries.captured_queries]
    assert Disbursement.objects.count() == size


def test_a_batch_that_leaves_the_store_short_opens_one_top_up_notice(mailoutbox):
    account = DepositAccountFactory(paid_in=D("50000.00"))
    payees = [ConsumerFactory() for _ in range(3)]
    services.pay_out_many(account=account, requests=requests_for(payees, amount=D("5000.00")))
    account.refresh_from_db()
    assert account.top_up_amount_due == D("15000.00")
