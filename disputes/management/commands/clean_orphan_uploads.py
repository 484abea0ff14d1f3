import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from disputes.models import Evidence

EVIDENCE_DIR = "evidence"


class Command(BaseCommand):
    help = (
        "Delete evidence files that no complaint refers to: left behind when a transaction "
        "around an upload rolled back after the file was written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=24,
            metavar="HOURS",
            help="Only files at least this old, so an upload still in flight is never touched.",
        )
        parser.add_argument("--dry-run", action="store_true", help="List, but delete nothing.")

    def handle(self, *args, older_than, dry_run, **options):
        root = Path(settings.MEDIA_ROOT)
        folder = root / EVIDENCE_DIR
        if not folder.is_dir():
            self.stdout.write("No evidence folder; nothing to clean.")
            return
        referenced = set(Evidence.objects.values_list("file", flat=True))
        cutoff = time.time() - older_than * 3600
        orphans = [
            path
            for path in folder.rglob("*")
            if path.is_file()
            and path.stat().st_mtime < cutoff
            and path.relative_to(root).as_posix() not in referenced
        ]
        for path in orphans:
            self.stdout.write(
                f"{'would delete' if dry_run else 'deleted'} {path.relative_to(root)}"
            )
            if not dry_run:
                path.unlink()
        self.stdout.write(f"{len(orphans)} orphaned file(s){' found' if dry_run else ' deleted'}.")
