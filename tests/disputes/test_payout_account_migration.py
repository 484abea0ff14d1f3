"""Account numbers stored in plain text before payout destinations existed are encrypted
by the migrations: a payout's account, and the account a complaint named."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from deposits.models import Disbursement
from disputes.models import Complaint

# Every app at its last migration before payout destinations (and before the later
# columns of the rows made here), so the rows are written with the schema of the time.
BEFORE = [
    ("accounts", "0004_lockout_permissions"),
    ("merchants", "0005_store_facts_permissions"),
    ("deposits", "0004_policy_history"),
    ("disputes", "0010_direct_payment"),
]
CARD = "6222021234567890128"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _plain_rows(apps):
    """A consumer paid to a bank card under the old columns, the card named by the complaint."""
    user = apps.get_model("accounts", "User").objects.create(username="buyer@example.com")
    merchant = apps.get_model("merchants", "Merchant").objects.create(
        code="old-store", name="老店", company="公司", store_type="flagship", trademark_type="R"
    )
    account = apps.get_model("deposits", "DepositAccount").objects.create(merchant=merchant)
    entry = apps.get_model("deposits", "LedgerEntry").objects.create(
        account=account,
        kind="claim_payout",
        balance_after=0,
        held_after=0,
        arrears_after=0,
        reference="complaint:TS20260101000001",
        idempotency_key="old-payout",
        operation_key="old-payout",
        request_digest="d",
    )
    apps.get_model("deposits", "Disbursement").objects.create(
        payee=user,
        payee_kind="consumer",
        amount=Decimal("10.00"),
        method="bank",
        payee_account=CARD,
        reference="complaint:TS20260101000001",
        ledger_entry=entry,
    )
    now = timezone.now()
    order = apps.get_model("merchants", "Order").objects.create(
        order_number="OLD-1",
        consumer=user,
        merchant=merchant,
        item_title="旧订单",
        goods_amount=Decimal("10.00"),
        paid_at=now - timedelta(days=9),
    )
    apps.get_model("disputes", "Complaint").objects.create(
        number="TS20260101000001",
        order=order,
        consumer=user,
        merchant=merchant,
        kind="description_mismatch",
        description="旧投诉",
        claimed_amount=Decimal("10.00"),
        status="paid",
        payout_method="bank",
        payout_account=CARD,
    )


@pytest.mark.django_db(transaction=True)
def test_plain_account_numbers_are_encrypted_and_the_plain_columns_dropped(reference_data):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _plain_rows(_migrate(BEFORE))

    _migrate(leaves)

    payout = Disbursement.objects.get()
    assert (payout.method, payout.payee_account_masked) == ("bank", "**** 0128")
    assert payout.destination.number() == CARD
    chosen = Complaint.objects.get().payout_destination
    assert (chosen.owner.username, chosen.number_masked) == ("buyer@example.com", "**** 0128")
    assert chosen.destination.number() == CARD
    with connection.cursor() as cursor:
        for table in ("deposits_disbursement", "disputes_complaint", "deposits_payoutaccount"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            assert not [row for row in cursor.fetchall() if CARD in " ".join(map(str, row))]
