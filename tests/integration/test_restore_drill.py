"""The restore drill of docs/deployment.md, run on a ledger with money moved in it."""

import subprocess
from decimal import Decimal

import pytest

from disputes.deadlines import process_due_complaints

from . import processes

pytestmark = pytest.mark.postgres


def test_a_dump_restored_elsewhere_passes_the_ledger_audit(file, tmp_path):
    complaint = file()
    assert process_due_complaints(complaint.due_at) == 1  # the merchant stayed silent
    complaint.refresh_from_db()
    assert complaint.held_amount == Decimal("199.00")
    env = processes.environment(tmp_path)

    drill = subprocess.run(
        [
            str(processes.ROOT / "scripts" / "restore_drill.sh"),
            env["DATABASE_URL"],
            str(tmp_path / "claims.dump"),
        ],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "all balanced" in drill.stdout
    assert (tmp_path / "claims.dump").stat().st_size > 0
