"""Concurrent work never deadlocks: each step locks only the rows it changes, in one order,
retries a conflict and the deadline run goes on past a step that still fails."""

import logging
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deposits import services as ledger
from disputes import deadlines, services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.races import race
from tests.disputes.test_review import (
    account_of,
    decide,
    escalate,
    reload,
    reviewer_user,
    senior_user,
    under_review,
)
from tests.factories import OrderFactory

S = Complaint.Status


class _Deadlock(Exception):
    sqlstate = "40P01"


def _conflict():
    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock()
    return error


def _batch_conflict(*, complaints, now):
    raise _conflict()


@pytest.mark.django_db
def test_the_deadline_run_skips_a_step_that_keeps_deadlocking_and_goes_on(
    file, order, store, consumer, monkeypatch, caplog
):
    stuck = file()
    other_order = OrderFactory(merchant=store.merchant, consumer=consumer)
    moving = services.file_complaint(
        order=other_order,
        consumer=consumer,
        kind="after_sales",
        description="x",
        claimed_amount=Decimal("5.00"),
    )
    escalate_for_real = services.escalate_complaint

    def escalate(*, complaint, actor, now=None):
        if complaint.pk == stuck.pk:
            raise _conflict()
        return escalate_for_real(complaint=complaint, actor=actor, now=now)

    monkeypatch.setattr(deadlines.services, "escalate_complaint", escalate)
    # The batch meets the conflict too, and leaves its rows to be taken one by one.
    monkeypatch.setattr(deadlines.services, "escalate_silent_merchants", _batch_conflict)
    now = max(stuck.due_at, moving.due_at)
    with caplog.at_level(logging.WARNING, logger="disputes.deadlines"):
        process_due_complaints(now)
    assert reload(stuck).status == S.NEGOTIATING
    assert reload(moving).status == S.UNDER_REVIEW
    assert f"complaint {stuck.number} skipped" in caplog.text


@pytest.mark.postgres
def test_every_row_lock_is_no_key_and_of_the_locked_table_alone(complaint, store, consumer):
    reviewer, senior = reviewer_user(), senior_user()
    with CaptureQueriesContext(connection) as queries:
        escalate(complaint, store, consumer)
        services.take_case(complaint=complaint, actor=reviewer)
        decide(complaint, reviewer)
        services.appeal_complaint(complaint=complaint, actor=store.owner, reason="不同意")
        services.respond_to_appeal(complaint=complaint, actor=consumer, response="同意")
        services.resolve_appeal(
            complaint=complaint, actor=senior, outcome="upheld", resolution="维持。"
        )
        ledger.record_pay_in(
            account=account_of(store),
            amount=Decimal("100.00"),
            reference="bank",
            idempotency_key="lock-shape-pay-in",
        )
        process_due_complaints(reload(complaint).updated_at)
    locks = [q["sql"] for q in queries.captured_queries if " FOR " in q["sql"]]
    assert locks
    for sql in locks:
        assert "FOR NO KEY UPDATE" in sql, sql
        if " JOIN " in sql:
            assert " OF " in sql, sql


@pytest.mark.postgres
def test_a_pay_in_and_a_decision_on_one_store_never_deadlock(file, store, consumer):
    for round_ in range(8):
        order = OrderFactory(merchant=store.merchant, consumer=consumer)
        complaint = file(order=order)
        reviewer = reviewer_user()
        under_review(complaint, store, consumer, reviewer)
        outcomes = race(
            lambda complaint=complaint, reviewer=reviewer: decide(complaint, reviewer),
            lambda round_=round_: ledger.record_pay_in(
                account=account_of(store),
                amount=Decimal("10.00"),
                reference="bank",
                idempotency_key=f"race-pay-in-{round_}",
            ),
        )
        assert outcomes == ["done", "done"]
    assert_ledger_balanced()


@pytest.mark.postgres
def test_a_filing_and_taking_the_consumers_other_case_never_deadlock(file, store, consumer):
    for _round in range(8):
        complaint = file(order=OrderFactory(merchant=store.merchant, consumer=consumer))
        escalate(complaint, store, consumer)
        other = OrderFactory(merchant=store.merchant, consumer=consumer)
        outcomes = race(
            lambda other=other: services.file_complaint(
                order=other,
                consumer=consumer,
                kind="after_sales",
                description="x",
                claimed_amount=Decimal("5.00"),
            ),
            lambda complaint=complaint: services.take_case(
                complaint=complaint, actor=reviewer_user()
            ),
        )
        assert outcomes == ["done", "done"]


@pytest.mark.django_db
def test_a_step_that_fails_for_any_reason_is_logged_and_the_run_goes_on(
    file, store, consumer, monkeypatch, caplog
):
    broken = file()
    other = services.file_complaint(
        order=OrderFactory(merchant=store.merchant, consumer=consumer),
        consumer=consumer,
        kind="after_sales",
        description="x",
        claimed_amount=Decimal("5.00"),
    )
    escalate_for_real = services.escalate_complaint

    def escalate(*, complaint, actor, now=None):
        if complaint.pk == broken.pk:
            raise RuntimeError("a defect in one complaint")
        return escalate_for_real(complaint=complaint, actor=actor, now=now)

    monkeypatch.setattr(deadlines.services, "escalate_complaint", escalate)
    monkeypatch.setattr(deadlines.services, "escalate_silent_merchants", _batch_conflict)
    with caplog.at_level(logging.ERROR, logger="disputes.deadlines"):
        process_due_complaints(max(broken.due_at, other.due_at))
    assert reload(broken).status == S.NEGOTIATING
    assert reload(other).status == S.UNDER_REVIEW
    assert "a defect in one complaint" in caplog.text


@pytest.mark.django_db
def test_one_apps_deadlines_failing_does_not_stop_the_others(monkeypatch, caplog):
    def broken(now):
        raise RuntimeError("the deposit deadlines are broken")

    calls = []
    monkeypatch.setattr(
        deadlines, "DEADLINE_FUNCTIONS", (broken, lambda now: calls.append(now) or 1)
    )
    with caplog.at_level(logging.ERROR, logger="disputes.deadlines"):
        results = deadlines.run_all_deadlines(timezone.now())
    assert len(calls) == 1
    assert list(results.values()) == [0, 1]
    assert "the deposit deadlines are broken" in caplog.text
