"""The consumer's pages: orders, filing, their complaints and what they do on one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common import pagecache
from common.paginators import ShortListPaginator
from deposits import selectors as deposit_selectors
from merchants import selectors as merchant_selectors

from .. import next_step, party_lists, payouts, selectors, services
from ..downloads import evidence_download
from ..forms import (
    ComplaintForm,
    DeclineOfferForm,
    EscalateForm,
    PayoutAccountForm,
    WithdrawForm,
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
)


@login_required
def consumer_orders(request):
    orders = merchant_selectors.orders_of_consumer(request.user).prefetch_related("complaints")
    page = ShortListPaginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disputes/consumer_orders.html", {"page": page})


@login_required
def file_complaint(request, order_number):
    order = selectors.order_for_consumer(request.user, order_number)
    now = timezone.now()
    options = selectors.filing_options(order=order, consumer=request.user, now=now)
    open_kinds = [o.kind for o in options if o.refusal is None]
    form = ComplaintForm(
        request.POST or None,
        request.FILES or None,
        kinds=open_kinds,
        return_shipping_maximum=selectors.compensation_rule(order.paid_at).return_shipping_maximum,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.file_complaint(
                order=order,
                consumer=request.user,
                kind=data["kind"],
                description=data["description"],
                claimed_amount=data["claimed_amount"],
                return_requested_at=data.get("return_requested_at"),
                return_shipping=data.get("return_shipping") or 0,
                evidence=[(data["evidence_kind"], f) for f in data["files"]],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Complaint %(number)s is filed. The merchant has been told to answer.")
                % {"number": complaint.number},
            )
            return redirect("disputes:complaint", number=complaint.number)
    return render(
        request, "disputes/file_complaint.html", {"order": order, "form": form, "options": options}
    )


@login_required
def consumer_complaints(request):
    def render_page():
        complaints, context = _search(
            request, party_lists.listed(party_lists.complaints_of_consumer(request.user))
        )
        user = request.user
        whole = {} if context["searching"] else party_lists.unsearched_list_of_consumer(user)
        page = ShortListPaginator(complaints, PAGE_SIZE, **whole).get_page(request.GET.get("page"))
        return render(request, "disputes/consumer_complaints.html", {"page": page, **context}), None

    return pagecache.serve(
        request,
        pagecache.Page(
            "consumer-complaints",
            [pagecache.consumer_scope(request.user.pk)],
            _search_variant(request),
        ),
        render_page,
    )


@login_required
def complaint_detail(request, number):
    def render_page():
        complaint = selectors.complaint_for_consumer(request.user, number)
        context = _case_context(
            request, complaint, next_step.for_consumer(complaint, request.user), viewer="consumer"
        )
        # What the next step offers changes when its deadline passes.
        return render(request, "disputes/complaint_detail.html", context), complaint.due_at

    return pagecache.serve(
        request, pagecache.Page("consumer-complaint", _complaint_page(number)), render_page
    )


CONSUMER_ACTIONS = {
    "accept-offer": (services.accept_offer, _("You accepted the offer.")),
    "reopen": (
        services.reopen_complaint,
        _("The platform is now reviewing the unpaid settlement."),
    ),
}


# The steps that cannot be undone: each comes with a form (a reason, a statement, a tick).
CONSUMER_FORM_ACTIONS = {
    "decline-offer": (
        DeclineOfferForm,
        lambda complaint, user, data: services.decline_offer(
            complaint=complaint, actor=user, reason=data["reason"]
        ),
        _("You declined the offer; the merchant can read why."),
    ),
    "escalate": (
        EscalateForm,
        lambda complaint, user, data: services.escalate_complaint(
            complaint=complaint, actor=user, statement=data["statement"], files=data["files"]
        ),
        _("The platform is now reviewing your complaint."),
    ),
    "withdraw": (
        WithdrawForm,
        lambda complaint, user, data: services.withdraw_complaint(complaint=complaint, actor=user),
        _("Your complaint is withdrawn."),
    ),
}


@login_required
@require_POST
def consumer_action(request, number, action):
    complaint = selectors.complaint_for_consumer(request.user, number)
    if action in CONSUMER_FORM_ACTIONS:
        form_class, call, done = CONSUMER_FORM_ACTIONS[action]
        _run(
            request,
            form_class(request.POST, request.FILES),
            lambda data: call(complaint, request.user, data),
            done,
        )
        return redirect("disputes:complaint", number=number)
    if action not in CONSUMER_ACTIONS:
        raise Http404
    service, done = CONSUMER_ACTIONS[action]
    try:
        service(complaint=complaint, actor=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, done)
    return redirect("disputes:complaint", number=number)


@login_required
@require_POST
def consumer_message(request, number):
    _post_message(request, selectors.complaint_for_consumer(request.user, number))
    return redirect("disputes:complaint", number=number)


@login_required
@require_POST
def consumer_evidence(request, number):
    _add_evidence(request, selectors.complaint_for_consumer(request.user, number))
    return redirect("disputes:complaint", number=number)


@login_required
def consumer_evidence_file(request, number, evidence_id):
    return evidence_download(selectors.complaint_for_consumer(request.user, number), evidence_id)


@login_required
@require_POST
def consumer_payout_account(request, number):
    complaint = selectors.complaint_for_consumer(request.user, number)
    form = PayoutAccountForm(
        request.POST, saved_accounts=deposit_selectors.payout_accounts_of(request.user)
    )
    if form.is_valid():
        try:
            account = services.choose_payout_account(
                complaint=complaint, actor=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Saved: your payout goes to %(account)s.")
                % {"account": payouts.destination_label(account.destination)},
            )
            return redirect(reverse("disputes:complaint", args=[number]) + "#payout")
    # The page again, the form with its errors next to the fields. Never kept by a cache:
    # it may hold the card number just typed.
    context = _case_context(
        request,
        complaint,
        next_step.for_consumer(complaint, request.user),
        viewer="consumer",
        payout_form=form,
    )
    response = render(request, "disputes/complaint_detail.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def consumer_answer_info(request, number):
    _answer_info(request, selectors.complaint_for_consumer(request.user, number))
    return redirect("disputes:complaint", number=number)


@login_required
@require_POST
def consumer_appeal(request, number):
    _appeal(request, selectors.complaint_for_consumer(request.user, number))
    return redirect("disputes:complaint", number=number)


@login_required
@require_POST
def consumer_appeal_response(request, number):
    _respond_to_appeal(request, selectors.complaint_for_consumer(request.user, number))
    return redirect("disputes:complaint", number=number)


@login_required
def consumer_case_file(request, number):
    return _case_file(
        request, selectors.complaint_for_consumer(request.user, number), viewer="consumer"
    )
