from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from merchants.permissions import deposit_access_required

from . import selectors
from .statement import statement_lines


@deposit_access_required
def seller_deposit(request):
    merchant = request.membership.merchant
    overview = selectors.account_overview(merchant)
    return render(
        request,
        "deposits/seller_deposit.html",
        {
            "merchant": merchant,
            "overview": overview,
            "entries": selectors.recent_entries(overview.account),
            "how_to_pay": selectors.how_to_pay(merchant),
        },
    )


@deposit_access_required
def seller_statement_csv(request):
    merchant = request.membership.merchant
    account = selectors.account_of(merchant)
    filename = f"deposit-statement-{merchant.code}-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        statement_lines(account), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
