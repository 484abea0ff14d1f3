from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from disputes.models import Evidence

# Every upload lives under this folder (`evidence_path`), on disk or as a key prefix on S3.
EVIDENCE_DIR = "evidence"


def files_under(folder: str) -> list[str]:
    """The names of every file below `folder`, through the storage API so S3 walks like a disk."""
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:  # on disk, the folder is made only by the first upload
        return []
    names = [f"{folder}/{name}" for name in files]
    for directory in directories:
        names += files_under(f"{folder}/{directory}")
    return names


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
        stored = files_under(EVIDENCE_DIR)
        if not stored:
            self.stdout.write("No evidence folder; nothing to clean.")
            return
        referenced = set(Evidence.objects.values_list("file", flat=True))
        cutoff = timezone.now() - timedelta(hours=older_than)
        # The age only of unreferenced files: on S3 each one costs a request.
        orphans = [
            name
            for name in stored
            if name not in referenced and default_storage.get_modified_time(name) < cutoff
        ]
        for name in orphans:
            self.stdout.write(f"{'would delete' if dry_run else 'deleted'} {name}")
            if not dry_run:
                default_storage.delete(name)
        self.stdout.write(f"{len(orphans)} orphaned file(s){' found' if dry_run else ' deleted'}.")
