from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from .deadlines import run_all_deadlines


@shared_task(bind=True, ignore_result=True)
def process_deadlines(self) -> None:
    """Beat runs this every DEADLINE_SWEEP_SECONDS; it splits the sweep into one task per
    worker process, which claim due rows with SKIP LOCKED and so share a storm of deadlines
    without moving any complaint twice."""
    if self.request.is_eager:
        sweep_deadlines()
        return
    for _shard in range(settings.DEADLINE_SWEEP_SHARDS):
        sweep_deadlines.delay()


@shared_task(
    ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def sweep_deadlines() -> dict[str, int]:
    return run_all_deadlines(timezone.now())
