from celery import shared_task
from django.db import OperationalError

from .services import deliver_due, seconds_to_next_retry

# A message that failed is tried again by this task itself when its next attempt is this
# close; later ones are left to the periodic run (CELERY_BEAT_SCHEDULE).
RETRY_HORIZON_SECONDS = 300


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=None,
)
def deliver_outbox(self) -> int:
    """Started after each commit that queued a message, and every minute by beat; running
    it twice at once sends nothing twice (rows are claimed with SKIP LOCKED)."""
    sent = deliver_due()
    wait = seconds_to_next_retry()
    if wait is not None and wait <= RETRY_HORIZON_SECONDS and not self.request.is_eager:
        raise self.retry(countdown=wait)
    return sent
