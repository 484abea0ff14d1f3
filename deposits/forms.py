import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LedgerEntry

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class _IdempotentForm(forms.Form):
    """A form whose resubmission (a double click, a reload) repeats the same operation."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"admin-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)


class PayInForm(_IdempotentForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (LedgerEntry.Kind.PAY_IN, LedgerEntry.Kind.PAY_IN.label),
            (LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.TOP_UP.label),
        ],
    )
    amount = forms.DecimalField(label=_("Amount (¥)"), min_value=Decimal("0.01"), **MONEY_FIELD)
    reference = forms.CharField(
        label=_("Bank reference"),
        max_length=100,
        help_text=_("The reference on the bank statement."),
    )
    memo = forms.CharField(
        label=_("Memo"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AdjustmentForm(_IdempotentForm):
    balance_delta = forms.DecimalField(
        label=_("Balance change (¥)"), initial=Decimal("0.00"), **MONEY_FIELD
    )
    arrears_delta = forms.DecimalField(
        label=_("Arrears change (¥)"), initial=Decimal("0.00"), **MONEY_FIELD
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    memo = forms.CharField(
        label=_("Memo"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the ledger is corrected; the store sees it on its statement."),
    )


class PaymentReferenceForm(forms.Form):
    external_reference = forms.CharField(
        label=_("Payment reference"),
        max_length=100,
        help_text=_("The transfer's reference at Alipay or the bank; the consumer sees it."),
    )
    # The destination shown with the form: the service refuses the step if the payee has
    # changed it since (deposits.services.mark_disbursement_sent).
    destination_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class MarkSentForm(PaymentReferenceForm):
    disbursement_id = forms.IntegerField(widget=forms.HiddenInput)


class RetryForm(forms.Form):
    """Nothing to ask: the page is the confirmation."""


class MarkFailedForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
