"""Money leaving the platform: each disbursement's steps (sent, failed, retried), taken by
finance staff through deposits.services."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import formset_factory
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin_bases import ServiceWrittenAdmin
from common.dates import local_datetime
from common.paginators import EstimatedCountPaginator
from deposit_claims.admin_display import money_column

from .. import services
from ..forms import MarkFailedForm, MarkSentForm, PaymentReferenceForm, RetryForm
from ..models import Disbursement
from .base import FORM_TEMPLATE

MarkSentFormSet = formset_factory(MarkSentForm, extra=0)


@dataclass(frozen=True)
class PayoutStep:
    slug: str
    label: Promise
    from_status: str
    form_class: type
    perform: Callable
    done: Promise
    explanation: Promise


PAYOUT_STEPS = (
    PayoutStep(
        slug="sent",
        label=_("Mark sent"),
        from_status=Disbursement.Status.PENDING,
        form_class=PaymentReferenceForm,
        perform=lambda disbursement, actor, data: services.mark_disbursement_sent(
            disbursement=disbursement,
            external_reference=data["external_reference"],
            actor=actor,
            destination_version=data["destination_version"],
        ),
        done=_("The payout is marked sent."),
        explanation=_("Record the transfer once Alipay or the bank has accepted it."),
    ),
    PayoutStep(
        slug="failed",
        label=_("Mark failed"),
        from_status=Disbursement.Status.PENDING,
        form_class=MarkFailedForm,
        perform=lambda disbursement, actor, data: services.mark_disbursement_failed(
            disbursement=disbursement, reason=data["reason"], actor=actor
        ),
        done=_("The payout is marked failed."),
        explanation=_("Say why the transfer failed (a closed account, a wrong name …)."),
    ),
    PayoutStep(
        slug="retry",
        label=_("Retry"),
        from_status=Disbursement.Status.FAILED,
        form_class=RetryForm,
        perform=lambda disbursement, actor, data: services.retry_disbursement(
            disbursement=disbursement, actor=actor
        ),
        done=_("The payout is back in the queue to send."),
        explanation=_("The payout goes back to the payouts to send, for another transfer."),
    ),
)
PAYOUT_STEPS_BY_SLUG = {step.slug: step for step in PAYOUT_STEPS}


def payout_steps_for(disbursement: Disbursement, user) -> tuple[list[PayoutStep], str]:
    """The steps this user may take on the payout now, or in one line why there are none."""
    if not user.has_perm("deposits.send_disbursement"):
        return [], gettext("Only finance records what happens to a payout.")
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        return [], gettext(
            "Waiting for the consumer to choose where the money goes. Nothing can be sent "
            "before they do, or before %(due)s, when it goes to the Alipay account of their "
            "login."
        ) % {"due": local_datetime(disbursement.account_due_at)}
    steps = [step for step in PAYOUT_STEPS if step.from_status == disbursement.status]
    if not steps:
        return [], gettext("The payout is sent: nothing more to record.")
    return steps, ""


def may_see_account_numbers(user) -> bool:
    """Only who sends the money reads a full account number; everyone else the masked one."""
    return user.has_perm("deposits.send_disbursement")


@admin.register(Disbursement)
class DisbursementAdmin(ServiceWrittenAdmin):
    list_display = (
        "id",
        "created_at",
        "payee",
        "payee_kind",
        "amount_money",
        "destination",
        "status",
        "attempts",
        "reference",
        "external_reference",
    )
    list_filter = ("status", "payee_kind", "method")
    amount_money = money_column("amount", _("amount"))
    search_fields = ("=reference", "=external_reference", "payee__username")
    list_select_related = ("payee",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["mark_sent", "mark_failed", "retry"]
    change_form_template = "deposits/admin/disbursement_change_form.html"
    readonly_fields = fields = (
        "payee",
        "payee_kind",
        "amount_money",
        "status",
        "destination",
        "account_number",
        "destination_fell_back",
        "account_due_at",
        "account_reminded_at",
        "reference",
        "attempts",
        "external_reference",
        "failure_reason",
        "ledger_entry",
        "created_at",
        "sent_at",
        "status_changed_by",
    )

    @admin.display(description=_("destination"))
    def destination(self, disbursement):
        """Where the money goes, masked: the list and the page never show a whole number."""
        destination = disbursement.destination
        if destination is None:
            return gettext("Awaiting the consumer's account until %(due)s") % {
                "due": local_datetime(disbursement.account_due_at)
            }
        parts = (
            disbursement.get_method_display(),
            destination.bank_name,
            destination.holder_name,
            destination.number_masked,
        )
        return " · ".join(part for part in parts if part)

    @admin.display(description=_("full account number"))
    def account_number(self, disbursement):
        destination = disbursement.destination
        return destination.number() if destination else "-"

    def get_fields(self, request, obj=None):
        if may_see_account_numbers(request.user):
            return self.fields
        return tuple(name for name in self.fields if name != "account_number")

    def has_send_disbursement_permission(self, request):
        return request.user.has_perm("deposits.send_disbursement")

    # --- one payout, from its own page ---------------------------------------------

    def get_urls(self):
        return [
            path(
                f"<int:disbursement_id>/{step.slug}/",
                self.admin_site.admin_view(self.step_view),
                {"slug": step.slug},
                name=f"deposits_disbursement_{step.slug}",
            )
            for step in PAYOUT_STEPS
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        disbursement = get_object_or_404(Disbursement, pk=object_id)
        steps, why_not = payout_steps_for(disbursement, request.user)
        extra_context = {**(extra_context or {}), "payout_steps": steps, "why_no_step": why_not}
        return super().change_view(request, object_id, form_url, extra_context)

    def step_view(self, request, disbursement_id, slug):
        step = PAYOUT_STEPS_BY_SLUG[slug]
        if not request.user.has_perm("deposits.send_disbursement"):
            raise PermissionDenied
        disbursement = get_object_or_404(
            Disbursement.objects.select_related("payee"), pk=disbursement_id
        )
        page_url = reverse("admin:deposits_disbursement_change", args=[disbursement.pk])
        form = step.form_class(
            request.POST if request.method == "POST" else None,
            initial={"destination_version": disbursement.destination_version},
        )
        if form.is_bound and form.is_valid():
            try:
                step.perform(disbursement, request.user, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, step.done, messages.SUCCESS)
                return HttpResponseRedirect(page_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": step.label,
            "subtitle": str(disbursement),
            "disbursement": disbursement,
            "step": step,
            "form": form,
            "page_url": page_url,
        }
        return TemplateResponse(request, "deposits/admin/disbursement_step.html", context)

    def _action_page(self, request, queryset, *, title, form, action):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "action": action,
            "selected": [item.pk for item in queryset],
            "disbursements": list(queryset),
        }
        return TemplateResponse(request, FORM_TEMPLATE, context)

    def _report(self, request, done, errors):
        if done:
            self.message_user(
                request,
                gettext("%(count)d disbursements updated.") % {"count": done},
                messages.SUCCESS,
            )
        for disbursement, error in errors:
            self.message_user(
                request, f"{disbursement.pk}: {' '.join(error.messages)}", messages.ERROR
            )

    @admin.action(
        description=_("Mark sent (with the payment reference)"), permissions=["send_disbursement"]
    )
    def mark_sent(self, request, queryset):
        pending = queryset.filter(status=Disbursement.Status.PENDING).select_related("payee")
        if "apply" in request.POST:
            formset = MarkSentFormSet(request.POST)
            if formset.is_valid():
                chosen = {d.pk: d for d in pending}
                done, errors = 0, []
                for data in formset.cleaned_data:
                    disbursement = chosen.get(data["disbursement_id"])
                    if disbursement is None:
                        continue
                    try:
                        services.mark_disbursement_sent(
                            disbursement=disbursement,
                            external_reference=data["external_reference"],
                            actor=request.user,
                            destination_version=data["destination_version"],
                        )
                        done += 1
                    except ValidationError as error:
                        errors.append((disbursement, error))
                self._report(request, done, errors)
                return None
        else:
            formset = MarkSentFormSet(
                initial=[
                    {"disbursement_id": d.pk, "destination_version": d.destination_version}
                    for d in pending
                ]
            )
        for form, disbursement in zip(formset.forms, pending, strict=False):
            form.disbursement = disbursement
        return self._action_page(
            request,
            pending,
            title=gettext("Mark disbursements sent"),
            form=formset,
            action="mark_sent",
        )

    @admin.action(description=_("Mark failed"), permissions=["send_disbursement"])
    def mark_failed(self, request, queryset):
        pending = queryset.filter(status=Disbursement.Status.PENDING).select_related("payee")
        form = MarkFailedForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, errors = 0, []
            for disbursement in pending:
                try:
                    services.mark_disbursement_failed(
                        disbursement=disbursement,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                    done += 1
                except ValidationError as error:
                    errors.append((disbursement, error))
            self._report(request, done, errors)
            return None
        return self._action_page(
            request,
            pending,
            title=gettext("Mark disbursements failed"),
            form=form,
            action="mark_failed",
        )

    @admin.action(description=_("Retry failed disbursements"), permissions=["send_disbursement"])
    def retry(self, request, queryset):
        done, errors = 0, []
        for disbursement in queryset.filter(status=Disbursement.Status.FAILED):
            try:
                services.retry_disbursement(disbursement=disbursement, actor=request.user)
                done += 1
            except ValidationError as error:
                errors.append((disbursement, error))
        self._report(request, done, errors)
