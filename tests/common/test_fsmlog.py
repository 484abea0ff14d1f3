"""A batch's transition log rows, collected and written at once, are the rows each transition
writes alone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from common.db import insert_rows
from common.fsmlog import collected_logs
from common.recorded_text import recorded
from disputes.models import Complaint
from tests.disputes.test_review import reviewer_user
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def _escalate(complaint, **by):
    # As the deadline sees it once the merchant's time to answer has run out.
    complaint.as_of(timezone.now() + timedelta(days=30)).escalate(
        decision_due_at=timezone.now() + timedelta(days=33),
        description=recorded("The merchant did not answer in time"),
        **by,
    )


def _row(log) -> dict:
    return {
        "by_id": log.by_id,
        "source_state": log.source_state,
        "state": log.state,
        "transition": log.transition,
        "content_type_id": log.content_type_id,
        "description": log.description,
    }


@pytest.mark.parametrize("by", [{"by_system": True}, {"by": "reviewer"}], ids=["system", "user"])
def test_collected_rows_written_at_once_are_the_rows_a_transition_writes_alone(by):
    if "by" in by:
        by = {"by": reviewer_user()}
    alone, batched = ComplaintFactory(), ComplaintFactory()

    _escalate(alone, **by)
    with collected_logs() as logs:
        _escalate(batched, **by)
    assert not StateLog.objects.filter(object_id=batched.pk).exists()
    insert_rows(StateLog, logs)

    written_alone = StateLog.objects.get(object_id=alone.pk)
    written_at_once = StateLog.objects.get(object_id=batched.pk)
    assert _row(written_at_once) == _row(written_alone)
    assert written_at_once.content_object == Complaint.objects.get(pk=batched.pk)
    assert written_at_once.timestamp >= written_alone.timestamp
