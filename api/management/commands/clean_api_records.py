from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from api.idempotency import LIFETIME, forget_expired
from api.models import ApiCall

# How long the console keeps each call of the API.
CALLS_KEPT = timedelta(days=90)


class Command(BaseCommand):
    help = (
        f"Delete the API's idempotency records older than {LIFETIME} and its calls older "
        f"than {CALLS_KEPT.days} days (housekeeping runs it daily)."
    )

    def handle(self, *args, **options):
        keys = forget_expired()
        calls, _by_model = ApiCall.objects.filter(
            created_at__lt=timezone.now() - CALLS_KEPT
        ).delete()
        self.stdout.write(f"Forgot {keys} expired idempotency key(s) and {calls} old call(s).")
