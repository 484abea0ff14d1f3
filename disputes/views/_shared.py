"""What the consumer and seller pages share: errors, search, the case context and the
platform's half of a case (answers, appeals, the case file)."""

import hashlib
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from deposits import selectors as deposit_selectors

from .. import next_step, party_lists, payouts, progress, selectors, services
from ..forms import (
    AcceptClaimForm,
    AppealForm,
    AppealResponseForm,
    ComplaintSearchForm,
    DeclineOfferForm,
    EscalateForm,
    EvidenceForm,
    InfoAnswerForm,
    MessageForm,
    PaymentProofForm,
    PayoutAccountForm,
    WithdrawForm,
)
from ..models import Complaint
from ..timeline import People, timeline

PAGE_SIZE = 20


def _errors(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _variant(*values) -> str:
    """Query parameters as part of a cache key: only what could name a page or a filter."""
    return "|".join(re.sub(r"[^\w-]", "", value or "")[:40] for value in values)


def _search_variant(request) -> str:
    """What of a list's query tells two of its cached pages apart: the status, the search
    (hashed), the filters and the page number."""
    typed = request.GET.get("q", "")
    return _variant(
        request.GET.get("status", ""),
        hashlib.sha256(typed.encode()).hexdigest()[:16] if typed else "",
        request.GET.get("kind"),
        request.GET.get("filed_from"),
        request.GET.get("filed_to"),
        request.GET.get("page"),
    )


def _search(request, complaints):
    """The list narrowed by the search form (a field that does not validate, such as a
    malformed date, is shown with its error and ignored), and the page's context: the form
    and the status chosen. Built only when the page is rendered, not for a cached view."""
    form = ComplaintSearchForm(request.GET)
    form.is_valid()
    filters = form.cleaned_data
    status = request.GET.get("status", "")
    complaints = party_lists.searched(complaints, status=status, **filters)
    searching = any(request.GET.get(name) for name in ("q", "kind", "filed_from", "filed_to"))
    context = {
        "search_form": form,
        "status": status,
        "statuses": Complaint.Status.choices,
        "searching": searching or bool(status),
    }
    return complaints, context


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


def _unbound(form_class):
    """An empty form, built only if the page shows it: a complaint's page offers a dozen
    forms, and shows the few its stage and viewer allow."""
    return SimpleLazyObject(form_class)


def _case_context(request, complaint, step, *, viewer, messages_=None, payout_form=None):
    visible_messages = (
        selectors.messages_visible_to_parties(complaint) if messages_ is None else messages_
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
        "message_form": _unbound(MessageForm),
        "evidence_form": _unbound(EvidenceForm),
        "info_form": _unbound(InfoAnswerForm),
        "payment_form": _unbound(PaymentProofForm),
        "direct_payment": next_step.direct_payment_of(complaint),
        "appeal_form": _unbound(AppealForm),
        "appeal_response_form": _unbound(AppealResponseForm),
        "stages": progress.stages(complaint, consumer_payouts),
        "decline_form": _unbound(DeclineOfferForm),
        "escalate_form": _unbound(EscalateForm),
        "withdraw_form": _unbound(WithdrawForm),
        "accept_form": _unbound(AcceptClaimForm),
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
    visible_messages = selectors.messages_visible_to_parties(complaint)
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
