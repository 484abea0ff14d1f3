import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from disputes.deadlines import DEADLINE_FUNCTIONS, run_all_deadlines
from outbox.services import deliver_due


class Command(BaseCommand):
    help = (
        "Apply every deadline that has passed (top-ups, complaint stages, reminders), then "
        "send the messages whose earlier attempt failed: without a Celery broker, this "
        "loop is what beat does in production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            help="Keep running, processing deadlines every SECONDS until stopped.",
        )

    def handle(self, *args, loop=None, **options):
        if loop is not None and loop < 1:
            raise CommandError("--loop needs a positive number of seconds.")
        if not DEADLINE_FUNCTIONS:
            self.stdout.write("No deadline functions are registered yet; nothing to run.")
            return
        if loop is None:
            self._run_once()
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"Processing deadlines every {loop} s; Ctrl+C to stop.")
        try:
            while not stopping:
                self._run_once()
                close_old_connections()
                for _second in range(loop):
                    if stopping:
                        break
                    time.sleep(1)
        except KeyboardInterrupt:
            pass
        self.stdout.write("Stopped processing deadlines.")

    def _run_once(self):
        now = timezone.now()
        stamp = f"{timezone.localtime(now):%Y-%m-%d %H:%M:%S}"
        for name, moved in run_all_deadlines(now).items():
            self.stdout.write(f"{stamp} {name}: {moved}")
        self.stdout.write(f"{stamp} messages sent: {deliver_due().sent}")
