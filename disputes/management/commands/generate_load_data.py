from django.core.management.base import BaseCommand, CommandError

from disputes.loaddata import LoadDataError, generate


class Command(BaseCommand):
    help = (
        "Generate a realistic data set for load tests: complaints in every state with their "
        "history, evidence, decisions, appeals and the ledger that paid them. The defaults at "
        "1,000,000 complaints: 200,000 consumers, 2,000 stores, load-store-1 with 20,000 "
        "complaints. All or nothing, in one transaction; nothing falls due in the hour after "
        "it, so process_deadlines then finds nothing to do. Idempotent per seed: a second run "
        "with the same seed and size does nothing. Every login's password is load-2026."
    )

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=1_000_000)
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Another seed adds a separate data set (its last digit must differ).",
        )
        parser.add_argument("--consumers", type=int, help="Default: a fifth of the complaints.")
        parser.add_argument(
            "--stores", type=int, help="Default: one per 500 complaints, at least 10."
        )
        parser.add_argument(
            "--busy-store-complaints",
            type=int,
            help="The complaints of store 1, load-store-1 (default: 2%% of them).",
        )

    def handle(self, *args, **options):
        try:
            generate(
                complaints=options["complaints"],
                seed=options["seed"],
                consumers=options["consumers"],
                stores=options["stores"],
                busy_store_complaints=options["busy_store_complaints"],
                stdout=self.stdout,
            )
        except LoadDataError as error:
            raise CommandError(str(error)) from error
