from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def housekeeping() -> None:
    """Beat runs this daily: expired sessions out of the database, evidence files no
    complaint refers to out of the storage, the webhook log's settled events after 30 days,
    the API's idempotency keys past their day and calls past 90 days."""
    call_command("clearsessions")
    call_command("clean_orphan_uploads")
    call_command("purge_webhook_log")
    call_command("clean_api_records")
