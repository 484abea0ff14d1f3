from django.core.management.base import BaseCommand, CommandError

from deposits.services import reencrypt_account_numbers


class Command(BaseCommand):
    help = (
        "Encrypt every stored payout account number again under the first key of "
        "DJANGO_PAYOUT_ACCOUNT_KEYS. Rotating: put a new key first (keep the old one after "
        "it), deploy, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        rotation = reencrypt_account_numbers()
        for label, count in rotation.rotated.items():
            self.stdout.write(f"{label}: {count} account numbers encrypted under the first key.")
        if rotation.unreadable:
            rows = ", ".join(f"{label} {pk}" for label, pk in rotation.unreadable)
            raise CommandError(
                f"{len(rotation.unreadable)} account numbers open with no configured key "
                f"(was a key dropped before its rotation?): {rows}."
            )
        self.stdout.write(self.style.SUCCESS("Every account number uses the first key."))
