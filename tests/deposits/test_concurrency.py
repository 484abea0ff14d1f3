"""Races on one deposit, with real concurrent transactions (PostgreSQL only)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier, Event

import pytest
from django.db import connection, transaction

from deposits import services
from deposits.audit import audit_deposits
from deposits.deadlines import process_due_top_ups
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement, LedgerEntry
from merchants.models import Merchant
from tests.factories import ConsumerFactory, DepositAccountFactory

# Real transactions commit: the conftest makes `postgres` tests transactional and restores
# the data migrations' rows (the default policy, the role groups) the flush takes away.
pytestmark = pytest.mark.postgres

THREADS = 8
D = Decimal


def run_at_once(work, count=THREADS):
    """Run `work(i)` in `count` threads released together; each closes its connection."""
    barrier = Barrier(count)

    def worker(index):
        try:
            barrier.wait(timeout=10)
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_claims_paid_at_once_from_one_deposit_add_up_exactly(account):
    payees = [ConsumerFactory() for _ in range(THREADS)]

    def pay_claim(index):
        claim_account = DepositAccount.objects.get(pk=account.pk)
        # Another claim may already have used the deposit: hold what is left, as disputes do.
        services.hold(
            account=claim_account,
            amount=D("4000"),
            reference=f"TS{index}",
            idempotency_key=f"h{index}",
            cap_at_available=True,
        )
        return services.pay_out(
            account=claim_account,
            reference=f"TS{index}",
            amount=D("7500.00"),
            payee=payees[index],
            destination=Destination.of(method="alipay", number="x@example.com"),
            idempotency_key=f"p{index}",
        )

    results = run_at_once(pay_claim)

    account.refresh_from_db()
    # ¥60,000 paid from ¥50,000: the platform advanced exactly ¥10,000.
    assert (account.balance, account.held, account.arrears) == (D("0"), D("0"), D("10000.00"))
    assert sum(result.advanced for result in results) == D("10000.00")
    assert Disbursement.objects.count() == THREADS
    assert audit_deposits()[0] == []


def test_the_same_payout_replayed_at_once_pays_once(account):
    payee = ConsumerFactory()

    def replay(_index):
        return services.pay_out(
            account=DepositAccount.objects.get(pk=account.pk),
            reference="TS1",
            amount=D("1234.56"),
            payee=payee,
            destination=Destination.of(method="alipay", number="x@example.com"),
            idempotency_key="payout-TS1",
        )

    results = run_at_once(replay)

    account.refresh_from_db()
    assert account.balance == D("48765.44")
    assert Disbursement.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 1
    assert {result.disbursement.pk for result in results} == {Disbursement.objects.get().pk}
    assert audit_deposits()[0] == []


def test_holds_racing_for_the_last_yuan_never_overdraw(account):
    def hold_all(index):
        return services.hold(
            account=DepositAccount.objects.get(pk=account.pk),
            amount=D("10000"),
            reference=f"TS{index}",
            idempotency_key=f"h{index}",
            cap_at_available=True,
        )

    entries = [entry for entry in run_at_once(hold_all) if entry is not None]

    account.refresh_from_db()
    assert account.held == account.balance == D("50000.00")
    assert sum(entry.held_delta for entry in entries) == D("50000.00")


def test_batches_of_holds_at_once_on_one_deposit_keep_its_ledger_in_order(account):
    """Each batch's entries take their keys under the deposit's lock: read in key order,
    every entry follows from the one before it, whichever batch wrote it."""

    def hold_a_batch(index):
        with transaction.atomic():
            return services.hold_many(
                requests=[
                    services.HoldRequest(account.pk, f"TS{index}-{n}", D("900"), f"h{index}-{n}")
                    for n in range(10)
                ]
            )

    entries = [e for batch in run_at_once(hold_a_batch) for e in batch if e is not None]

    account.refresh_from_db()
    assert account.held == account.balance == D("50000.00")
    assert sum(entry.held_delta for entry in entries) == D("50000.00")
    held = D("0")
    for entry in LedgerEntry.objects.filter(account=account, kind="hold").order_by("id"):
        held += entry.held_delta
        assert entry.held_after == held
    assert audit_deposits()[0] == []


def test_an_error_after_the_ledger_write_leaves_nothing_behind(account, monkeypatch, mailoutbox):
    def fail_after_writing(_account, **_kwargs):
        raise RuntimeError("the process died after the ledger write")

    monkeypatch.setattr(services.payouts, "_after_money_out", fail_after_writing)
    entries_before = LedgerEntry.objects.count()

    with pytest.raises(RuntimeError):
        services.pay_out(
            account=account,
            reference="TS1",
            amount=D("60000"),
            payee=ConsumerFactory(),
            destination=Destination.of(method="alipay", number="x@example.com"),
            idempotency_key="p",
        )

    account.refresh_from_db()
    assert (account.balance, account.held, account.arrears) == (D("50000.00"), D("0"), D("0"))
    assert LedgerEntry.objects.count() == entries_before
    assert not Disbursement.objects.exists()
    assert mailoutbox == []
    assert audit_deposits()[0] == []


def test_the_top_up_sweep_skips_a_store_whose_row_another_transaction_holds(now):
    """The sweep takes the store's row before the account's, as every other path does: a
    pay-in holding the store is skipped, not waited on while the sweep holds the account
    (which would close a lock cycle with the pay-in's next lock, the account)."""
    short = DepositAccountFactory(paid_in=D("20000.00"))
    services.request_top_up(account=short, now=now)
    short.refresh_from_db()
    holding, done = Event(), Event()

    def hold_the_store():
        try:
            with transaction.atomic():
                Merchant.objects.select_for_update().get(pk=short.merchant_id)
                holding.set()
                done.wait(timeout=10)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        holder = pool.submit(hold_the_store)
        assert holding.wait(timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            assert process_due_top_ups(short.top_up_due_by) == 0
        finally:
            done.set()
            holder.result()
    assert process_due_top_ups(short.top_up_due_by) == 1


def test_batches_of_payouts_at_once_on_one_deposit_add_up_exactly(account):
    """Four batches of four ¥5,000 claims from ¥50,000: ¥80,000 paid, ¥30,000 advanced,
    whoever took the lock first."""
    payees = [ConsumerFactory() for _ in range(4)]

    def pay_batch(index):
        return services.pay_out_many(
            account=DepositAccount.objects.get(pk=account.pk),
            requests=[
                services.PayoutRequest(
                    reference=f"TS{index}-{i}",
                    amount=D("5000.00"),
                    payee=payee,
                    destination=Destination.of(method="alipay", number="x@example.com"),
                    idempotency_key=f"b{index}-{i}",
                )
                for i, payee in enumerate(payees)
            ],
        )

    results = run_at_once(pay_batch, count=4)

    account.refresh_from_db()
    assert (account.balance, account.held, account.arrears) == (D("0"), D("0"), D("30000.00"))
    assert sum(r.advanced for batch in results for r in batch) == D("30000.00")
    assert Disbursement.objects.count() == 16
    assert audit_deposits()[0] == []
