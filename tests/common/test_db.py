"""A service that meets a deadlock runs again from the start, a bounded number of times."""

import pytest
from django.db import IntegrityError, OperationalError, transaction

from common import db
from common.db import MAX_ATTEMPTS, atomic_service, is_lock_conflict

pytestmark = pytest.mark.django_db(transaction=True)


class _Deadlock(Exception):
    sqlstate = "40P01"


def conflict() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock()
    return error


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)


def failing(times: int, error_factory=conflict):
    calls = []

    @atomic_service
    def step():
        calls.append(transaction.get_connection().in_atomic_block)
        if len(calls) <= times:
            raise error_factory()
        return "done"

    return step, calls


def test_a_deadlock_is_retried_in_a_fresh_transaction():
    step, calls = failing(times=2)
    assert step() == "done"
    assert calls == [True, True, True]


def test_a_step_still_deadlocked_after_the_last_attempt_fails():
    step, calls = failing(times=MAX_ATTEMPTS)
    with pytest.raises(OperationalError):
        step()
    assert len(calls) == MAX_ATTEMPTS


def test_other_database_errors_are_not_retried():
    step, calls = failing(times=1, error_factory=lambda: IntegrityError("duplicate key"))
    with pytest.raises(IntegrityError):
        step()
    assert len(calls) == 1


def test_inside_a_callers_transaction_the_conflict_goes_to_the_caller():
    step, calls = failing(times=1)
    with pytest.raises(OperationalError), transaction.atomic():
        step()
    assert len(calls) == 1


def test_a_conflict_is_recognised_through_the_drivers_wrapping():
    assert is_lock_conflict(conflict())
    assert not is_lock_conflict(OperationalError("connection lost"))
