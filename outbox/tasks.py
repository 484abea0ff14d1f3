from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import deliver_due, forget_queued_delivery

# A message that failed in a run is tried again by the same task when its next attempt is
# this close; later ones (a longer outage) are left to beat's periodic run, so tasks do not
# pile up in the broker while the mail server is down.
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
    forget_queued_delivery()
    delivery = deliver_due()
    if delivery.next_retry_at is not None and not self.request.is_eager:
        wait = max((delivery.next_retry_at - timezone.now()).total_seconds(), 0.0)
        if wait <= RETRY_HORIZON_SECONDS:
            raise self.retry(countdown=wait)
    return delivery.sent
