from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .permissions import merchant_member_required

PAGE_SIZE = 25


@merchant_member_required
def seller_orders(request):
    merchant = request.membership.merchant
    page = Paginator(selectors.orders_of_merchant(merchant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "merchants/orders.html", {"merchant": merchant, "page": page})


@merchant_member_required
def seller_staff(request):
    merchant = request.membership.merchant
    members = selectors.members_of_merchant(merchant)
    return render(request, "merchants/staff.html", {"merchant": merchant, "members": members})
