"""A throw-away database for the figures that write, and the rows they need.

The money and sweep figures never write into the load database: they run in a database
of their own (`claims_bench_scratch_<pid>`, created with the migrations beside the load
database, dropped at the end, and at the next run if the harness was killed), like
scripts/bench_deadlines.py. Its rows are built as the services
leave them, the many in bulk, and every name starts with `bench-`.
"""

import itertools
import os
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test.utils import override_settings
from django.utils import timezone

from accounts import roles
from accounts.models import User
from deposits import services as ledger
from deposits.models import DepositAccount
from disputes import compensation, selectors
from disputes.models import Complaint
from merchants.models import Merchant, MerchantMember, Order

DEPOSIT = Decimal("100000000.00")  # never the limit: no payout here may run short of it
KIND = Complaint.Kind.DESCRIPTION_MISMATCH
CLAIM = Decimal("199.00")
GOODS = Decimal("199.00")
# Paid 8 days ago, completed 3 days ago: a description mismatch can still be filed.
PAID_AGO = timedelta(days=8)
# Filed 49 hours ago and never answered: the merchant's 48 hours are over.
FILED_AGO = timedelta(hours=49)


SCRATCH_PREFIX = "claims_bench_scratch_"


def scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{os.getpid()}"


def _drop(name: str) -> None:
    """Drop a scratch database even if a killed worker's connection lingers on it."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_scratch_databases() -> list[str]:
    """Scratch databases of harness runs that were killed before they could drop them."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{SCRATCH_PREFIX}%"]
        )
        names = [row[0] for row in cursor.fetchall()]
    stale = [
        name
        for name in names
        if name.removeprefix(SCRATCH_PREFIX).isdigit()
        and not _alive(int(name.removeprefix(SCRATCH_PREFIX)))
    ]
    for name in stale:
        _drop(name)
    return stale


@contextmanager
def scratch_database():
    """Create, use and drop `claims_bench_scratch_<pid>`; e-mail and texts stay in memory."""
    settings_dict = connection.settings_dict
    load_database = settings_dict["NAME"]
    test_name = settings_dict["TEST"].get("NAME")
    drop_stale_scratch_databases()
    settings_dict["TEST"]["NAME"] = scratch_name()
    try:
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="outbox.sms.LocmemBackend",
        ):
            yield name
    finally:
        # As Django's destroy_test_db, but forced: no worker's connection can keep it.
        connections.close_all()
        settings.DATABASES[connection.alias]["NAME"] = load_database
        settings_dict["NAME"] = load_database
        settings_dict["TEST"]["NAME"] = test_name
        _drop(scratch_name())


class ScratchWorld:
    """Stores with a deep deposit, a reviewer, a payee, and bulk builders for the rest."""

    def __init__(self, *, stores: int):
        self._batches = itertools.count(1)
        self._numbers = itertools.count(1)
        self.accounts = [self._store(i) for i in range(1, stores + 1)]
        self.reviewer = self._user("bench-reviewer@bench.test", roles.REVIEWERS, is_staff=True)
        self.payee = self._user("bench-payee@bench.test", roles.CONSUMERS)

    @property
    def account(self) -> DepositAccount:
        """The ONE deposit the payout figures share."""
        return self.accounts[0]

    @staticmethod
    def _user(username: str, role: str, **fields) -> User:
        user = User.objects.create(
            username=username, email=username, password=make_password(None), **fields
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    def _store(self, index: int) -> DepositAccount:
        merchant = Merchant.objects.create(
            code=f"bench-store-{index}",
            name=f"bench-store-{index}",
            company="bench",
            store_type=Merchant.StoreType.FLAGSHIP,
            trademark_type=Merchant.TrademarkType.REGISTERED,
        )
        owner = self._user(f"bench-owner-{index}@bench.test", roles.MERCHANT_STAFF)
        MerchantMember.objects.create(user=owner, merchant=merchant, role="owner")
        account = ledger.get_or_open_account(merchant=merchant)
        ledger.record_pay_in(
            account=account,
            amount=DEPOSIT,
            reference=f"bench-pay-in-{index}",
            idempotency_key=f"bench-pay-in-{index}",
        )
        return account

    def orders(self, count: int, *, one_store: bool = False) -> list[Order]:
        """One completed order for each of `count` new consumers, spread over the stores
        (or all at the first store: the ONE deposit of the payout figures)."""
        batch = next(self._batches)
        password = make_password(None)
        consumers = User.objects.bulk_create(
            User(username=f"bench-c{batch}-{i}@bench.test", password=password) for i in range(count)
        )
        group = Group.objects.get(name=roles.CONSUMERS)
        membership = User.groups.through
        membership.objects.bulk_create(
            membership(user_id=consumer.pk, group_id=group.pk) for consumer in consumers
        )
        paid = timezone.now() - PAID_AGO
        accounts = self.accounts[:1] if one_store else self.accounts
        merchants = [account.merchant_id for account in accounts]
        return Order.objects.bulk_create(
            Order(
                order_number=f"bench-{batch}-{i}",
                consumer=consumer,
                merchant_id=merchants[i % len(merchants)],
                item_title="纯棉T恤",
                goods_amount=GOODS,
                postage=Decimal("10.00"),
                paid_at=paid,
                shipped_at=paid + timedelta(hours=20),
                delivered_at=paid + timedelta(days=3),
                completed_at=paid + timedelta(days=5),
            )
            for i, consumer in enumerate(consumers)
        )

    def silent_complaints(self, count: int, *, one_store: bool = False) -> list[Complaint]:
        """Complaints as filing leaves them, filed 49 h ago and never answered by the store."""
        orders = self.orders(count, one_store=one_store)
        lines = selectors.suggestion_for(order=orders[0], kind=KIND)
        suggested = compensation.total(lines)
        refund = compensation.total(
            [line for line in lines if line.category == compensation.REFUND]
        )
        now = timezone.now()
        return Complaint.objects.bulk_create(
            Complaint(
                number=f"TS{next(self._numbers):014d}",
                order=order,
                consumer_id=order.consumer_id,
                merchant_id=order.merchant_id,
                kind=KIND,
                description="bench: the goods do not match the description",
                claimed_amount=min(CLAIM, suggested),
                suggested_amount=suggested,
                suggested_refund=refund,
                created_at=now - FILED_AGO,
                due_at=now - FILED_AGO + timedelta(hours=48),
            )
            for order in orders
        )
