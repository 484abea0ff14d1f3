import io

import pytest
from django.core.management import CommandError, call_command

from disputes import deadlines

pytestmark = pytest.mark.django_db


def test_process_deadlines_runs_every_registered_function_once(monkeypatch):
    calls = []
    monkeypatch.setattr(deadlines, "DEADLINE_FUNCTIONS", (lambda now: calls.append(now) or 3,))
    from disputes.management.commands import process_deadlines

    monkeypatch.setattr(process_deadlines, "DEADLINE_FUNCTIONS", deadlines.DEADLINE_FUNCTIONS)
    out = io.StringIO()
    call_command("process_deadlines", stdout=out)
    assert len(calls) == 1
    assert ": 3" in out.getvalue()


def test_loop_needs_a_positive_interval():
    with pytest.raises(CommandError):
        call_command("process_deadlines", "--loop", "0")


def test_the_celery_task_runs_the_same_deadlines(monkeypatch):
    from disputes import tasks

    calls = []
    monkeypatch.setattr(tasks, "run_all_deadlines", lambda now: calls.append(now) or {"x": 1})
    assert tasks.sweep_deadlines.delay().get() == {"x": 1}
    tasks.process_deadlines.delay()  # without a broker, beat's task sweeps in-process
    assert len(calls) == 2


def test_the_state_machine_can_be_drawn():
    out = io.StringIO()
    call_command("graph_transitions", "disputes.Complaint", stdout=out)
    for transition in ("escalate", "accept_claim", "accept_offer", "withdraw", "lapse", "reopen"):
        assert transition in out.getvalue()
