from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from deposits.demo import seed_deposits
from disputes.demo import seed_complaints
from merchants import demo as merchant_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent: a second run changes nothing) and print the logins."

    def handle(self, *args, **options):
        now = timezone.now()
        # The demo's own notices would bury the logins below in e-mail printed to the console.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            consumers = merchant_demo.seed_people()
            merchants = merchant_demo.seed_stores()
            merchant_demo.seed_orders(merchants=merchants, consumers=consumers, now=now)
            seed_deposits(merchants=merchants, now=now, actor=merchant_demo.finance_user())
            seed_complaints(now=now)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(LOGINS.format(password=DEMO_PASSWORD))


LOGINS = """
Demo logins (password for all: {password}) at http://127.0.0.1:8000/accounts/login/
  Consumer          consumer@demo.test · 13800138000 · chen.jing@demo.test
  Unclaimed         zhao.min@demo.test (no password yet: claim it at /accounts/signup/)
  Merchant owner    digital.owner@demo.test · fashion.owner@demo.test
                    medical.owner@demo.test · books.owner@demo.test
  Merchant staff    digital.staff@demo.test (answers, settles up to ¥500)
                    fashion.staff@demo.test (answers, settles up to ¥2,000, sees the deposit)
                    medical.staff@demo.test (reads only)
                    books.staff@demo.test (answers, no offers)
  Reviewer          reviewer@demo.test
  Senior reviewers  senior1@demo.test · senior2@demo.test
  Finance           finance@demo.test
  Operator (admin)  admin@demo.test
Console logins (reviewers, finance, admin) also ask for a code from an authenticator app:
at the first login, scan the QR code shown (or type its key) into any TOTP app.
"""
