from django.core.management.base import BaseCommand, CommandError

from deposits.audit import audit_deposits


class Command(BaseCommand):
    help = "Recompute every deposit account from its ledger entries and check every invariant."

    def handle(self, *args, **options):
        problems, checked = audit_deposits()
        summary = f"Checked {checked['accounts']} accounts and {checked['entries']} ledger entries"
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"{summary}: all balanced."))
            return
        for problem in problems:
            self.stderr.write(str(problem))
        broken = sorted({problem.account_id for problem in problems}, key=str)
        raise CommandError(
            f"{summary}: {len(problems)} problems in {len(broken)} accounts "
            f"({', '.join(str(account_id) for account_id in broken)})."
        )
