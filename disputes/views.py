from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from deposits import selectors as deposit_selectors
from merchants import selectors as merchant_selectors
from merchants.permissions import merchant_member_required

from . import next_step, selectors, services
from .forms import ComplaintForm, EvidenceForm, MessageForm, OfferForm, RefuseForm
from .models import Complaint, Notification
from .notifications import render as render_notification
from .timeline import timeline

PAGE_SIZE = 20
RECENT_ORDERS = 5
ACTIVE_FOR_MERCHANT = 10


def _errors(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


# --- consumer -------------------------------------------------------------------------------


@login_required
def consumer_orders(request):
    orders = merchant_selectors.orders_of_consumer(request.user).prefetch_related("complaints")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disputes/consumer_orders.html", {"page": page})


@login_required
def file_complaint(request, order_number):
    order = selectors.order_for_consumer(request.user, order_number)
    now = timezone.now()
    options = selectors.filing_options(order=order, consumer=request.user, now=now)
    open_kinds = [o.kind for o in options if o.refusal is None]
    form = ComplaintForm(request.POST or None, request.FILES or None, kinds=open_kinds)
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
    page = Paginator(selectors.complaints_of_consumer(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "disputes/consumer_complaints.html", {"page": page})


def _case_context(request, complaint, step, *, viewer):
    visible_messages = list(selectors.messages_visible_to_parties(complaint))
    return {
        "complaint": complaint,
        "step": step,
        "timeline": timeline(complaint, messages=visible_messages),
        "evidence": complaint.evidence.all(),
        "message_form": MessageForm(),
        "evidence_form": EvidenceForm(),
        "viewer": viewer,
    }


@login_required
def complaint_detail(request, number):
    complaint = selectors.complaint_for_consumer(request.user, number)
    context = _case_context(
        request, complaint, next_step.for_consumer(complaint, request.user), viewer="consumer"
    )
    return render(request, "disputes/complaint_detail.html", context)


CONSUMER_ACTIONS = {
    "accept-offer": (services.accept_offer, _("You accepted the offer.")),
    "decline-offer": (services.decline_offer, _("You declined the offer.")),
    "escalate": (services.escalate_complaint, _("The platform is now reviewing your complaint.")),
    "withdraw": (services.withdraw_complaint, _("Your complaint is withdrawn.")),
    "reopen": (
        services.reopen_complaint,
        _("The platform is now reviewing the unpaid settlement."),
    ),
}


@login_required
@require_POST
def consumer_action(request, number, action):
    complaint = selectors.complaint_for_consumer(request.user, number)
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


def _post_message(request, complaint):
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message first."))
        return
    try:
        services.post_message(
            complaint=complaint, author=request.user, body=form.cleaned_data["body"]
        )
    except ValidationError as error:
        _errors(request, error)


def _add_evidence(request, complaint):
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return
    try:
        services.add_evidence_files(
            complaint=complaint,
            uploader=request.user,
            kind=form.cleaned_data["kind"],
            files=form.cleaned_data["files"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Evidence added."))


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


def _evidence_file(complaint, evidence_id):
    evidence = get_object_or_404(complaint.evidence.all(), pk=evidence_id)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=f"{complaint.number}-{evidence.pk}{evidence.extension}",
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def consumer_evidence_file(request, number, evidence_id):
    return _evidence_file(selectors.complaint_for_consumer(request.user, number), evidence_id)


# --- notifications ---------------------------------------------------------------------------


@login_required
def notifications(request):
    page = Paginator(selectors.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(n, render_notification(n)) for n in page.object_list]
    return render(request, "disputes/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def open_notification(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.mark_notification_read(notification=notification)
    return redirect(notification.url)


# --- seller ---------------------------------------------------------------------------------


@merchant_member_required
def seller_overview(request):
    merchant = request.membership.merchant
    waiting = (
        selectors.complaints_of_merchant(merchant)
        .filter(status=Complaint.Status.NEGOTIATING)
        .order_by("due_at")
    )
    return render(
        request,
        "disputes/seller_overview.html",
        {
            "merchant": merchant,
            "membership": request.membership,
            "waiting": waiting[:ACTIVE_FOR_MERCHANT],
            "deposit": deposit_selectors.account_overview(merchant),
            "recent_orders": merchant_selectors.orders_of_merchant(merchant)[:RECENT_ORDERS],
            "stats": selectors.merchant_complaint_stats(merchant, timezone.now()),
        },
    )


@merchant_member_required
def seller_complaints(request):
    merchant = request.membership.merchant
    status = request.GET.get("status", "")
    complaints = selectors.complaints_of_merchant(merchant)
    if status in Complaint.Status.values:
        complaints = complaints.filter(status=status)
    page = Paginator(complaints.order_by("due_at", "-created_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "disputes/seller_complaints.html",
        {"page": page, "status": status, "statuses": Complaint.Status.choices},
    )


@merchant_member_required
def seller_complaint(request, number):
    complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
    context = _case_context(
        request, complaint, next_step.for_merchant(complaint, request.user), viewer="merchant"
    )
    context["refuse_form"] = RefuseForm()
    context["offer_form"] = OfferForm()
    return render(request, "disputes/complaint_detail.html", context)


@merchant_member_required
@require_POST
def seller_action(request, number, action):
    complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
    try:
        if action == "accept":
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
    return _evidence_file(
        selectors.complaint_for_merchant(request.membership.merchant, number), evidence_id
    )
