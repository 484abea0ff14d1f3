from django.core.management.base import BaseCommand

from api.idempotency import LIFETIME, forget_expired


class Command(BaseCommand):
    help = (
        f"Delete the API's idempotency records older than {LIFETIME} (housekeeping runs it daily)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Forgot {forget_expired()} expired idempotency key(s).")
