from celery import shared_task
from django.db import OperationalError

from .services import deliver_due


@shared_task(
    ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=None
)
def deliver_webhooks() -> int:
    """Started after each commit that recorded an event, and every minute by beat for the
    retries; running it twice at once sends nothing twice (SKIP LOCKED)."""
    return deliver_due().delivered
