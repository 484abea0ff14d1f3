from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from merchants import selectors as merchant_selectors
from merchants.permissions import merchant_member_required

PAGE_SIZE = 20
RECENT_ORDERS = 5


@login_required
def consumer_orders(request):
    orders = merchant_selectors.orders_of_consumer(request.user)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disputes/consumer_orders.html", {"page": page, "now": timezone.now()})


@merchant_member_required
def seller_overview(request):
    merchant = request.membership.merchant
    recent = merchant_selectors.orders_of_merchant(merchant)[:RECENT_ORDERS]
    return render(
        request,
        "disputes/seller_overview.html",
        {"merchant": merchant, "membership": request.membership, "recent_orders": recent},
    )
