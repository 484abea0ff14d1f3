"""The seller dashboard: the overview, the store's complaints and what the store does on one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common import pagecache
from common.paginators import ShortListPaginator
from deposits import selectors as deposit_selectors
from deposits.policy import next_policy_change
from merchants import selectors as merchant_selectors
from merchants.permissions import merchant_member_required

from .. import next_step, party_lists, selectors, services
from ..downloads import evidence_download
from ..forms import (
    AcceptClaimForm,
    DirectPaymentForm,
    OfferForm,
    PaymentProofForm,
    RefuseForm,
)
from ._shared import (
    PAGE_SIZE,
    _add_evidence,
    _answer_info,
    _appeal,
    _case_context,
    _case_file,
    _complaint_page,
    _errors,
    _post_message,
    _respond_to_appeal,
    _run,
    _search,
    _search_variant,
    _unbound,
)

RECENT_ORDERS = 5
ACTIVE_FOR_MERCHANT = 10


def _store_page(request, name: str, render_page, *scopes, variant: str = ""):
    """A seller page, cached for the store's staff: the membership was checked already."""
    merchant_id = request.membership.merchant_id
    return pagecache.serve(
        request,
        pagecache.Page(name, [pagecache.store_scope(merchant_id), *scopes], variant),
        render_page,
    )


@merchant_member_required
def seller_overview(request):
    def render_page():
        merchant = request.membership.merchant
        now = timezone.now()
        waiting = party_lists.waiting_for_merchant(merchant, limit=ACTIVE_FOR_MERCHANT)
        stats = party_lists.merchant_complaint_stats(merchant, now)
        # Staff without the deposit grant see none of its figures, not even on this page.
        deposit = (
            deposit_selectors.account_overview(merchant)
            if request.membership.can_see_deposit
            else None
        )
        response = render(
            request,
            "disputes/seller_overview.html",
            {
                "merchant": merchant,
                "membership": request.membership,
                "waiting": waiting,
                "deposit": deposit,
                "recent_orders": merchant_selectors.latest_orders_of_merchant(
                    merchant, RECENT_ORDERS
                ),
                "stats": stats,
            },
        )
        changes = [stats.changes_at, next_policy_change(now)]
        return response, min((moment for moment in changes if moment), default=None)

    return _store_page(request, "seller-overview", render_page)


@merchant_member_required
def seller_complaints(request):
    def render_page():
        merchant = request.membership.merchant
        complaints, context = _search(
            request, party_lists.listed(party_lists.complaints_of_merchant(merchant))
        )
        whole = {} if context["searching"] else party_lists.unsearched_list_of_store(merchant)
        page = ShortListPaginator(
            complaints.order_by(*party_lists.QUEUE), PAGE_SIZE, **whole
        ).get_page(request.GET.get("page"))
        return render(request, "disputes/seller_complaints.html", {"page": page, **context}), None

    return _store_page(request, "seller-complaints", render_page, variant=_search_variant(request))


@merchant_member_required
def seller_complaint(request, number):
    def render_page():
        complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
        context = _case_context(
            request, complaint, next_step.for_merchant(complaint, request.user), viewer="merchant"
        )
        context["refuse_form"] = _unbound(RefuseForm)
        context["offer_form"] = _unbound(OfferForm)
        context["direct_payment_form"] = _unbound(
            lambda: DirectPaymentForm(initial={"amount": complaint.settled_amount})
        )
        return render(request, "disputes/complaint_detail.html", context), complaint.due_at

    return _store_page(request, "seller-complaint", render_page, *_complaint_page(number))


@merchant_member_required
@require_POST
def seller_action(request, number, action):
    complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
    try:
        if action == "accept":
            form = AcceptClaimForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.accept_claim(complaint=complaint, actor=request.user)
            messages.success(request, _("You accepted the claim. Pay the consumer directly."))
        elif action == "refuse":
            form = RefuseForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the reason for refusing."))
            services.refuse_claim(
                complaint=complaint, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Your refusal and its reason were sent to the consumer."))
        elif action == "offer":
            form = OfferForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.make_offer(
                complaint=complaint,
                actor=request.user,
                refund=form.cleaned_data["refund"],
                compensation_amount=form.cleaned_data["compensation"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Your offer was sent to the consumer."))
        else:
            raise Http404
    except ValidationError as error:
        _errors(request, error)
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_message(request, number):
    _post_message(request, selectors.complaint_for_merchant(request.membership.merchant, number))
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_evidence(request, number):
    _add_evidence(request, selectors.complaint_for_merchant(request.membership.merchant, number))
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
def seller_evidence_file(request, number, evidence_id):
    return evidence_download(
        selectors.complaint_for_merchant(request.membership.merchant, number), evidence_id
    )


@merchant_member_required
@require_POST
def seller_answer_info(request, number):
    _answer_info(request, selectors.complaint_for_merchant(request.membership.merchant, number))
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_confirm_payment(request, number):
    complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
    _run(
        request,
        PaymentProofForm(request.POST, request.FILES),
        lambda data: services.confirm_merchant_payment(
            complaint=complaint, actor=request.user, proof_files=data["files"]
        ),
        _("Thank you: the payment is confirmed and the hold on your deposit is released."),
    )
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_record_payment(request, number):
    complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
    _run(
        request,
        DirectPaymentForm(request.POST, request.FILES),
        lambda data: services.record_direct_payment(
            complaint=complaint,
            actor=request.user,
            amount=data["amount"],
            paid_at=data["paid_at"],
            method=data["method"],
            reference=data["reference"],
            proof_files=data["files"],
        ),
        _("Your payment is recorded; the consumer is told to check that it arrived."),
    )
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_appeal(request, number):
    _appeal(request, selectors.complaint_for_merchant(request.membership.merchant, number))
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
@require_POST
def seller_appeal_response(request, number):
    _respond_to_appeal(
        request, selectors.complaint_for_merchant(request.membership.merchant, number)
    )
    return redirect("disputes:seller_complaint", number=number)


@merchant_member_required
def seller_case_file(request, number):
    return _case_file(
        request,
        selectors.complaint_for_merchant(request.membership.merchant, number),
        viewer="merchant",
    )
