from django.core.management.base import BaseCommand, CommandError

from merchants.services import OrderImportError, import_orders


class Command(BaseCommand):
    help = (
        "Import the marketplace's order export (CSV, UTF-8). Nothing is imported if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file with a header row; see README for the columns.")

    def handle(self, *args, path, **options):
        try:
            with open(path, encoding="utf-8-sig", newline="") as stream:
                result = import_orders(stream=stream)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text.") from None
        except OrderImportError as error:
            for line, reason in error.errors:
                self.stderr.write(f"line {line}: {reason}")
            raise CommandError(f"{len(error.errors)} bad row(s); nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new order(s), updated {result.updated}, "
                f"{result.unchanged} unchanged; {result.new_consumers} new consumer account(s)."
            )
        )
