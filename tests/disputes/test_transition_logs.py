import logging

import pytest
from django.db import transaction

from disputes import services

pytestmark = pytest.mark.django_db


def test_a_transition_is_logged_once_committed(
    complaint, consumer, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="transitions")
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_complaint(complaint=complaint, actor=consumer)
    [line] = [r for r in caplog.records if r.name == "transitions"]
    assert (line.number, line.transition, line.target) == (
        complaint.number,
        "withdraw",
        "withdrawn",
    )
    assert line.by_user_id == consumer.pk


def test_a_change_rolled_back_leaves_no_log_line(
    complaint, consumer, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="transitions")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.withdraw_complaint(complaint=complaint, actor=consumer)
        raise RuntimeError("undone")
    assert [r for r in caplog.records if r.name == "transitions"] == []
