"""The ledger, read only: its entries are never edited or deleted."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin_bases import ServiceWrittenAdmin
from common.paginators import EstimatedCountPaginator
from common.recorded_text import readable
from deposit_claims.admin_display import money_column

from ..models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ServiceWrittenAdmin):
    # Append-only, for everyone: a mistake is corrected by an adjustment, never an edit.
    list_display = (
        "id",
        "created_at",
        "account",
        "kind",
        "reference",
        "balance_delta_money",
        "held_delta_money",
        "arrears_delta_money",
        "balance_after_money",
        "held_after_money",
        "arrears_after_money",
        "actor",
        "memo_text",
    )
    # The memo as its reader's language writes it (common.recorded_text), never raw.
    exclude = ("memo",)
    readonly_fields = ("memo_text",)
    list_filter = ("kind",)
    search_fields = ("=reference", "=idempotency_key", "account__merchant__code")
    balance_delta_money = money_column("balance_delta", _("balance change"), signed=True)
    held_delta_money = money_column("held_delta", _("held change"), signed=True)
    arrears_delta_money = money_column("arrears_delta", _("arrears change"), signed=True)
    balance_after_money = money_column("balance_after", _("balance after"))
    held_after_money = money_column("held_after", _("held after"))
    arrears_after_money = money_column("arrears_after", _("arrears after"))
    list_select_related = ("account__merchant", "actor")
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    @admin.display(description=_("memo"))
    def memo_text(self, entry):
        return readable(entry.memo)

    def lookup_allowed(self, lookup, value, request=None):
        # The account page links here with ?account=<id>.
        return lookup == "account" or super().lookup_allowed(lookup, value, request)
