"""What filing a complaint reads and writes: one filing is one consumer's click, and a
busy day is many of them."""

import pytest

from tests.compiling import compiled_reads, reading

pytestmark = pytest.mark.django_db

# The order, the claim group's lock, the consumer's strikes, the complaints already on the
# order (read once, for the one-per-kind rule and the refund cap), a free number, the
# complaint, the store's staff, their notices and e-mails, the webhook subscriptions (read
# once per transaction, webhooks/events.py); the compensation rules and the
# deadline policy (read at most once a minute per process, common.effective: here afresh);
# and the savepoint around the call, the tests running in a transaction.
FILING_STATEMENTS = 14
# What a filing reads of its own, each read compiled once per process (common.prepared).
FILING_TABLES = (
    "merchants_order",
    "disputes_complaint",
    "disputes_consumerstrike",
    "merchants_merchantmember",
    "webhooks_subscription",
)


def test_filing_stays_within_its_statements(file, store, django_assert_max_num_queries):
    with django_assert_max_num_queries(FILING_STATEMENTS) as queries:
        file()
    reads_on_the_order = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "disputes_complaint"."id"')
        and 'WHERE "disputes_complaint"."order_id" =' in q["sql"]
    ]
    assert len(reads_on_the_order) == 1


def test_a_filing_compiles_none_of_its_reads_once_the_process_has_filed_one(file, second_order):
    file()

    with compiled_reads() as compiled:
        file(order=second_order)

    assert reading(compiled, *FILING_TABLES) == []
