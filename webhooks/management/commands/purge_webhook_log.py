from django.core.management.base import BaseCommand

from webhooks.services import purge_log


class Command(BaseCommand):
    help = "Delete webhook events, deliveries and attempts older than 30 days, once settled."

    def handle(self, *args, **options):
        self.stdout.write(f"{purge_log()} events deleted.")
