"""What a decision paid from the deposit reads and writes: each statement is paid on every
decision, and those after the payout are paid while the store's deposit is locked."""

from decimal import Decimal

import pytest

from accounts.models import User
from deposits import services as ledger
from deposits.policy import most_required_under, policy_in_force
from disputes.models import Complaint
from tests.compiling import compiled_reads, reading
from tests.deposits.helpers import PAYOUT_WRITES
from tests.disputes.test_review import (
    account_of,
    decide,
    reviewer_user,
    suggested_lines,
    under_review,
)
from webhooks import events as webhook_events

pytestmark = pytest.mark.django_db

# The claim group's lock, the complaint's, the award's caps (the evidence only for declared
# return shipping), the decision, its log, the complaint, the notices and their e-mails, the
# payout (tests/deposits/test_payout_statements.py), the award lines, the webhook
# subscriptions (read once per transaction, webhooks/events.py); and the savepoint around
# the call, the tests running in a transaction (the payout, a step of the decision's
# transaction, has none of its own).
DECISION_STATEMENTS = 15 + PAYOUT_WRITES
# What a decision reads of its own, each read compiled once per process (common.prepared).
DECISION_TABLES = (
    "auth_group",
    "disputes_complaint",
    "disputes_evidence",
    "merchants_merchantmember",
    "deposits_depositaccount",
    "deposits_ledgerentry",
    "webhooks_subscription",
)


@pytest.fixture
def well_covered(store):
    ledger.record_pay_in(
        account=account_of(store),
        amount=most_required_under(policy_in_force()) + Decimal("1000000.00"),
        reference="BANK-2",
        idempotency_key="well-covered",
    )
    return store


def test_a_decision_paid_from_the_deposit_stays_within_its_statements(
    complaint, well_covered, consumer, django_assert_max_num_queries
):
    reviewer = reviewer_user()
    under_review(complaint, well_covered, consumer, reviewer)
    lines = suggested_lines(complaint)
    # The decision's own transaction reads them, as it does outside a test's transaction.
    webhook_events.forget_subscriptions()
    with django_assert_max_num_queries(DECISION_STATEMENTS) as queries:
        decide(complaint, reviewer, lines=lines)
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.PAID
    line_writes = [q["sql"] for q in queries.captured_queries if '"disputes_awardline"' in q["sql"]]
    assert [sql.split()[0] for sql in line_writes] == ["INSERT"]
    # No return shipping declared: no receipt among the evidence can change the award.
    assert not [q for q in queries.captured_queries if '"disputes_evidence"' in q["sql"]]


def test_a_decision_on_declared_return_shipping_reads_the_evidence_for_its_receipt(
    file, well_covered, consumer, django_assert_max_num_queries
):
    complaint = file(return_shipping=Decimal("25.00"), claimed_amount=Decimal("234.00"))
    reviewer = reviewer_user()
    under_review(complaint, well_covered, consumer, reviewer)
    lines = suggested_lines(complaint)
    webhook_events.forget_subscriptions()
    with django_assert_max_num_queries(DECISION_STATEMENTS + 1) as queries:
        decide(complaint, reviewer, lines=lines)
    assert [q for q in queries.captured_queries if '"disputes_evidence"' in q["sql"]]


def test_award_lines_are_written_once_with_what_they_paid(complaint, well_covered, consumer):
    reviewer = reviewer_user()
    under_review(complaint, well_covered, consumer, reviewer)
    decision = decide(complaint, reviewer)
    lines = list(decision.lines.select_related("ledger_entry"))
    assert lines
    for line in lines:
        assert line.paid_amount == line.amount
        assert line.ledger_entry.kind == "claim_payout"


def test_a_decision_compiles_none_of_its_reads_once_the_process_has_decided_one(
    complaint, file, second_order, well_covered, consumer
):
    reviewer = reviewer_user()
    under_review(complaint, well_covered, consumer, reviewer)
    decide(complaint, reviewer)
    # Return shipping declared, so that the evidence is read too.
    another = file(
        order=second_order, return_shipping=Decimal("25.00"), claimed_amount=Decimal("234.00")
    )
    under_review(another, well_covered, consumer, reviewer)
    lines = suggested_lines(another)
    # As the next request has it: the reviewer read afresh, their roles not known yet.
    reviewer = User.objects.get(pk=reviewer.pk)

    with compiled_reads() as compiled:
        decide(another, reviewer, lines=lines)

    assert reading(compiled, *DECISION_TABLES) == []
