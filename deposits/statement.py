"""The merchant's statement: every ledger entry of one deposit, as CSV."""

import csv
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from common.recorded_text import readable

from .models import DepositAccount
from .selectors import statement_rows

# Merchants read their statement in China time, whatever the viewer's browser says.
STATEMENT_TIME_ZONE = ZoneInfo("Asia/Shanghai")
# Spreadsheets treat a cell starting with these as a formula; free text is defused.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def statement_lines(account: DepositAccount) -> Iterator[str]:
    """CSV lines, starting with a byte-order mark so spreadsheets read the Chinese right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(
        [
            _("Date"),
            _("Kind"),
            _("Reference"),
            _("Balance change"),
            _("Held change"),
            _("Arrears change"),
            _("Balance after"),
            _("Held after"),
            _("Arrears after"),
            _("Memo"),
        ]
    )
    if account.pk is None:
        return
    for entry in statement_rows(account).iterator(chunk_size=1000):
        yield writer.writerow(
            [
                timezone.localtime(entry.created_at, STATEMENT_TIME_ZONE).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                entry.get_kind_display(),
                _text(entry.reference),
                entry.balance_delta,
                entry.held_delta,
                entry.arrears_delta,
                entry.balance_after,
                entry.held_after,
                entry.arrears_after,
                _text(readable(entry.memo)),
            ]
        )
