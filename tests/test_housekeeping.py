from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from deposit_claims import tasks
from deposit_claims.celery import app

pytestmark = pytest.mark.django_db


def test_beat_runs_housekeeping_daily():
    assert app.conf.beat_schedule["housekeeping"]["task"] == "deposit_claims.tasks.housekeeping"


def test_housekeeping_clears_expired_sessions_and_old_orphan_files(time_machine):
    Session.objects.create(session_key="old", session_data="", expire_date=timezone.now())
    Session.objects.create(
        session_key="live", session_data="", expire_date=timezone.now() + timedelta(days=2)
    )
    orphan = default_storage.save("evidence/2026/11/orphan.png", ContentFile(b"x"))
    time_machine.move_to(timezone.now() + timedelta(hours=25))

    tasks.housekeeping.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert not default_storage.exists(orphan)
