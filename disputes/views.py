import hashlib
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from common import pagecache
from common.languages import set_language_cookie
from deposits import selectors as deposit_selectors
from deposits.policy import next_policy_change
from merchants import selectors as merchant_selectors
from merchants.models import MerchantMember
from merchants.permissions import merchant_member_required

from . import next_step, payouts, progress, selectors, services
from .downloads import evidence_download
from .forms import (
    AcceptClaimForm,
    AppealForm,
    AppealResponseForm,
    ComplaintForm,
    ComplaintSearchForm,
    DeclineOfferForm,
    DirectPaymentForm,
    EscalateForm,
    EvidenceForm,
    InfoAnswerForm,
    MessageForm,
    NotificationSettingsForm,
    OfferForm,
    PaymentProofForm,
    PayoutAccountForm,
    RefuseForm,
    WithdrawForm,
)
from .models import Complaint, Notification
from .notifications import render as render_notification
from .timeline import People, timeline

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


def _variant(*values) -> str:
    """Query parameters as part of a cache key: only what could name a page or a filter."""
    return "|".join(re.sub(r"[^\w-]", "", value or "")[:40] for value in values)


def _search(request, complaints):
    """The list narrowed by the search form (a field that does not validate, such as a
    malformed date, is shown with its error and ignored), the form, and the status chosen;
    with what the page cache must tell apart."""
    form = ComplaintSearchForm(request.GET)
    form.is_valid()
    filters = form.cleaned_data
    status = request.GET.get("status", "")
    complaints = selectors.searched(complaints, status=status, **filters)
    typed = request.GET.get("q", "")
    variant = _variant(
        status,
        hashlib.sha256(typed.encode()).hexdigest()[:16] if typed else "",
        request.GET.get("kind"),
        request.GET.get("filed_from"),
        request.GET.get("filed_to"),
        request.GET.get("page"),
    )
    searching = any(request.GET.get(name) for name in ("q", "kind", "filed_from", "filed_to"))
    context = {
        "search_form": form,
        "status": status,
        "statuses": Complaint.Status.choices,
        "searching": searching or bool(status),
    }
    return complaints, context, variant


@login_required
def consumer_complaints(request):
    complaints, context, variant = _search(request, selectors.complaints_of_consumer(request.user))

    def render_page():
        page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "disputes/consumer_complaints.html", {"page": page, **context}), None

    return pagecache.serve(
        request,
        pagecache.Page("consumer-complaints", [pagecache.consumer_scope(request.user.pk)], variant),
        render_page,
    )


URL_NAMES = {
    "consumer": {
        "page": "complaint",
        "evidence_file": "consumer_evidence_file",
        "answer_info": "consumer_answer_info",
        "appeal": "consumer_appeal",
        "respond_appeal": "consumer_appeal_response",
        "case_file": "consumer_case_file",
        "payout_account": "consumer_payout_account",
    },
    "merchant": {
        "page": "seller_complaint",
        "evidence_file": "seller_evidence_file",
        "answer_info": "seller_answer_info",
        "confirm_payment": "seller_confirm_payment",
        "record_payment": "seller_record_payment",
        "appeal": "seller_appeal",
        "respond_appeal": "seller_appeal_response",
        "case_file": "seller_case_file",
    },
}


def _urls(complaint, viewer) -> dict[str, str]:
    return {
        key: reverse(f"disputes:{name}", args=[complaint.number])
        for key, name in URL_NAMES[viewer].items()
        if key != "evidence_file"
    }


def _case_context(request, complaint, step, *, viewer, messages_=None, payout_form=None):
    visible_messages = (
        list(selectors.messages_visible_to_parties(complaint)) if messages_ is None else messages_
    )
    decision = complaint.final_decision
    consumer_payouts = selectors.consumer_payouts(complaint)
    return {
        **(
            _payout_context(complaint, consumer_payouts, payout_form, with_form=step is not None)
            if viewer == "consumer"
            else {}
        ),
        "complaint": complaint,
        "step": step,
        "timeline": timeline(complaint, messages=visible_messages, viewer=viewer),
        "evidence": complaint.evidence.all(),
        "message_form": MessageForm(),
        "evidence_form": EvidenceForm(),
        "info_form": InfoAnswerForm(),
        "payment_form": PaymentProofForm(),
        "direct_payment": next_step.direct_payment_of(complaint),
        "appeal_form": AppealForm(),
        "appeal_response_form": AppealResponseForm(),
        "stages": progress.stages(complaint, consumer_payouts),
        "decline_form": DeclineOfferForm(),
        "escalate_form": EscalateForm(),
        "withdraw_form": WithdrawForm(),
        "accept_form": AcceptClaimForm(),
        "decision": decision,
        "appeal": next_step.appeal_of(complaint),
        "payout_status": next_step.payout_status(complaint, decision) if decision else "",
        "evidence_url_name": f"disputes:{URL_NAMES[viewer]['evidence_file']}",
        "urls": _urls(complaint, viewer),
        "viewer": viewer,
        # Messages and evidence: the consumer, and the members the owner lets answer.
        "may_write": viewer != "merchant" or request.membership.can_answer,
    }


def _payout_context(complaint, consumer_payouts, form, *, with_form: bool) -> dict:
    """The consumer's payout card: each payout's progress, the account chosen, and the form
    to choose or change it while that is allowed (not in the downloaded case file)."""
    if (
        form is None
        and with_form
        and selectors.may_choose_payout_account(complaint, consumer_payouts)
    ):
        form = PayoutAccountForm(
            saved_accounts=deposit_selectors.payout_accounts_of(complaint.consumer),
            chosen=complaint.payout_destination,
        )
    chosen = complaint.payout_destination
    return {
        "payouts": [payouts.progress_of(payout, complaint.consumer) for payout in consumer_payouts],
        "payout_account": payouts.destination_label(chosen.destination) if chosen else "",
        "payout_form": form,
    }


def _complaint_page(number: str) -> list[tuple]:
    return [("complaint", number)]


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
    else:
        messages.success(request, _("Message sent."))


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


# --- notifications ---------------------------------------------------------------------------


@login_required
def notifications(request):
    page = Paginator(selectors.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(n, render_notification(n)) for n in page.object_list]
    return render(request, "disputes/notifications.html", {"page": page, "items": items})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    for_store = MerchantMember.objects.filter(user=request.user).exists()
    form = NotificationSettingsForm(request.POST or None, user=request.user, for_store=for_store)
    if form.is_valid():
        language = form.cleaned_data["language"]
        try:
            services.save_notification_settings(
                user=request.user,
                muted=form.muted(),
                daily_digest=form.cleaned_data.get("daily_digest", False),
                language=language,
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            with translation.override(language):
                messages.success(request, str(_("Your notification settings are saved.")))
            response = redirect("disputes:notification_settings")
            # One language per person: the pages follow the messages' language.
            set_language_cookie(response, language)
            return response
    return render(request, "disputes/notification_settings.html", {"form": form})


@login_required
@require_POST
def open_notification(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.mark_notification_read(notification=notification)
    return redirect(notification.url)


# --- seller ---------------------------------------------------------------------------------


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
        waiting = selectors.waiting_for_merchant(merchant, limit=ACTIVE_FOR_MERCHANT)
        stats = selectors.merchant_complaint_stats(merchant, now)
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
                "recent_orders": merchant_selectors.orders_of_merchant(merchant)[:RECENT_ORDERS],
                "stats": stats,
            },
        )
        changes = [stats.changes_at, next_policy_change(now)]
        return response, min((moment for moment in changes if moment), default=None)

    return _store_page(request, "seller-overview", render_page)


@merchant_member_required
def seller_complaints(request):
    complaints, context, variant = _search(
        request, selectors.complaints_of_merchant(request.membership.merchant)
    )

    def render_page():
        page = Paginator(complaints.order_by(*selectors.QUEUE), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(request, "disputes/seller_complaints.html", {"page": page, **context}), None

    return _store_page(request, "seller-complaints", render_page, variant=variant)


@merchant_member_required
def seller_complaint(request, number):
    def render_page():
        complaint = selectors.complaint_for_merchant(request.membership.merchant, number)
        context = _case_context(
            request, complaint, next_step.for_merchant(complaint, request.user), viewer="merchant"
        )
        context["refuse_form"] = RefuseForm()
        context["offer_form"] = OfferForm()
        context["direct_payment_form"] = DirectPaymentForm(
            initial={"amount": complaint.settled_amount}
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


# --- the platform's half: answers, pay-first proof, appeals, the case file ------------------


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for text in errors:
            messages.error(request, text)


def _run(request, form, call, done) -> None:
    """Validate the form, then call the service; errors become messages and change nothing."""
    if not form.is_valid():
        _form_errors(request, form)
        return
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, done)


def _answer_info(request, complaint):
    _run(
        request,
        InfoAnswerForm(request.POST, request.FILES),
        lambda data: services.submit_info(
            complaint=complaint, actor=request.user, answer=data["answer"], files=data["files"]
        ),
        _("Your answer was sent to the platform."),
    )


def _appeal(request, complaint):
    _run(
        request,
        AppealForm(request.POST, request.FILES),
        lambda data: services.appeal_complaint(
            complaint=complaint, actor=request.user, reason=data["reason"], files=data["files"]
        ),
        _("Your appeal is in. The other side may respond; a senior reviewer then resolves it."),
    )


def _respond_to_appeal(request, complaint):
    _run(
        request,
        AppealResponseForm(request.POST),
        lambda data: services.respond_to_appeal(
            complaint=complaint, actor=request.user, response=data["response"]
        ),
        _("Your response was added to the appeal."),
    )


def _case_file(request, complaint, *, viewer):
    """The whole case as one printable HTML file, for the party's own records."""
    visible_messages = list(selectors.messages_visible_to_parties(complaint))
    context = _case_context(request, complaint, None, viewer=viewer, messages_=[])
    people = People(complaint, viewer)
    context.update(
        {
            "messages_list": [
                (message, people.of(message.party, message.author)) for message in visible_messages
            ],
            "offers": complaint.offers.all(),
            "info_requests": complaint.info_requests.all(),
            "generated_at": timezone.now(),
            "absolute": request.build_absolute_uri("/")[:-1],
        }
    )
    html = render_to_string("disputes/case_file.html", context, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{complaint.number}.html"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
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
