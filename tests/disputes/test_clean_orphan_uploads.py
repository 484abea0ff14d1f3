import io
import os
import time

import pytest
from django.core.management import call_command

from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def _aged(path, seconds):
    old = time.time() - seconds
    os.utime(path, (old, old))


@pytest.fixture
def files(settings):
    kept = EvidenceFactory()
    kept_path = settings.MEDIA_ROOT / kept.file.name
    folder = settings.MEDIA_ROOT / "evidence" / "2026" / "11"
    folder.mkdir(parents=True, exist_ok=True)
    orphan, fresh = folder / "orphan.png", folder / "fresh.png"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    _aged(kept_path, 2 * DAY)
    _aged(orphan, 2 * DAY)
    return kept_path, orphan, fresh


def test_old_files_no_complaint_refers_to_are_deleted_and_the_rest_kept(files):
    kept, orphan, fresh = files
    out = io.StringIO()
    call_command("clean_orphan_uploads", stdout=out)
    assert kept.exists() and fresh.exists()
    assert not orphan.exists()
    assert "1 orphaned file(s) deleted" in out.getvalue()


def test_a_dry_run_deletes_nothing(files):
    _kept, orphan, _fresh = files
    out = io.StringIO()
    call_command("clean_orphan_uploads", "--dry-run", stdout=out)
    assert orphan.exists()
    assert "would delete evidence/2026/11/orphan.png" in out.getvalue()
