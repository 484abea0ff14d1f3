"""What filing a complaint reads and writes: one filing is one consumer's click, and a
busy day is many of them."""

import pytest

pytestmark = pytest.mark.django_db

# The order, the claim group's lock, the consumer's strikes, the complaints already on the
# order (read once, for the one-per-kind rule and the refund cap), a free number, the
# complaint, the store's staff, their notices and e-mails, the webhook subscriptions (read
# once per transaction, webhooks/events.py); the compensation rules and the
# deadline policy (read at most once a minute per process, common.effective: here afresh);
# and the savepoint around the call, the tests running in a transaction.
FILING_STATEMENTS = 14


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
