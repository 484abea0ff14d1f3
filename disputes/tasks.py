from celery import shared_task
from django.utils import timezone

from .deadlines import run_all_deadlines


@shared_task
def process_deadlines() -> dict[str, int]:
    """The beat schedule runs this every minute in production (CELERY_BEAT_SCHEDULE)."""
    return run_all_deadlines(timezone.now())
