from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from deposit_claims.templatetags.ui import money
from deposits import destinations
from deposits.models import PayoutAccount
from merchants.models import MONEY

from . import notifications as notices
from .models import Complaint, DirectPayment, Evidence
from .uploads import MAX_FILES_PER_PARTY


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service when it is stored."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES_PER_PARTY:
            raise forms.ValidationError(
                _("Attach at most %(max)s files."), params={"max": MAX_FILES_PER_PARTY}
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What went wrong"), choices=Complaint.Kind.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_(
            "The facts in your own words: dates, what the merchant said, what you received."
        ),
    )
    claimed_amount = forms.DecimalField(
        label=_("Amount you claim (¥)"),
        min_value=Decimal("0.01"),
        help_text=_("At most what the rules allow; the platform checks it."),
        **MONEY,
    )
    return_requested_at = forms.DateTimeField(
        label=_("When you asked for the return"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Only for a refused 7-day return."),
    )
    return_shipping = forms.DecimalField(
        label=_("Return shipping you paid (¥)"),
        required=False,
        min_value=0,
        help_text=_("Only for goods not as described."),
        **MONEY,
    )
    evidence_kind = forms.ChoiceField(
        label=_("Type of the attached files"),
        choices=Evidence.Kind.choices,
        initial=Evidence.Kind.PHOTO,
    )
    files = MultipleFileField(
        label=_("Evidence"),
        required=False,
        help_text=_(
            "Photos, chat logs, vouchers: JPEG, PNG, WebP or PDF, up to 10 MB each, 20 in all."
        ),
    )

    def __init__(self, *args, kinds=None, return_shipping_maximum=None, **kwargs):
        super().__init__(*args, **kwargs)
        if return_shipping_maximum is not None:
            field = self.fields["return_shipping"]
            field.max_value = return_shipping_maximum
            field.validators.append(MaxValueValidator(return_shipping_maximum))
            field.widget.attrs["max"] = str(return_shipping_maximum)
            field.help_text = _(
                "Only for goods not as described: at most %(max)s, and paid back only with a "
                "logistics record or payment voucher among your files."
            ) % {"max": money(return_shipping_maximum)}
        if kinds is not None:
            self.fields["kind"].choices = [
                (k, label) for k, label in Complaint.Kind.choices if k in kinds
            ]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Evidence.Kind.choices)
    files = MultipleFileField(
        label=_("Files"), help_text=_("JPEG, PNG, WebP or PDF, up to 10 MB each.")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you refuse"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The consumer and, if they escalate, the platform read this."),
    )


class AcceptClaimForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I will pay the consumer the amount claimed, directly."),
        error_messages={"required": _("Tick the box to confirm that you will pay.")},
    )


class DeclineOfferForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("The merchant reads this; it may help them make a better offer."),
    )


class EscalateForm(forms.Form):
    statement = forms.CharField(
        label=_("What the platform should know"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
        help_text=_("Optional. The reviewer and the merchant read it."),
    )
    files = MultipleFileField(
        label=_("Evidence for the platform"),
        required=False,
        help_text=_("Optional. JPEG, PNG, WebP or PDF, up to 10 MB each."),
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn complaint cannot be filed again."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )


class PayoutAccountForm(forms.Form):
    """Where the platform sends the consumer's money: a saved account, or one typed now.

    Checked with the rules the service applies (deposits.destinations), so each mistake
    shows next to its field; the service checks again.
    """

    ANOTHER = "another"

    saved = forms.ChoiceField(label=_("Your accounts"), widget=forms.RadioSelect, required=False)
    method = forms.ChoiceField(
        label=_("Receive the money by"),
        choices=PayoutAccount.Method.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    alipay_account = forms.CharField(
        label=_("Alipay account"),
        max_length=254,
        required=False,
        help_text=_("The e-mail address or mobile number you log in to Alipay with."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bank_name = forms.CharField(
        label=_("Bank"),
        max_length=60,
        required=False,
        help_text=_("The bank that issued the card, e.g. China Merchants Bank."),
    )
    holder_name = forms.CharField(
        label=_("Name on the card"),
        max_length=60,
        required=False,
        help_text=_("The card must be in your own name."),
    )
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=40,
        required=False,
        help_text=_("12 to 19 digits; spaces are fine."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    confirm = forms.BooleanField(
        label=_("This account is mine and the details are correct: send my payout there."),
        error_messages={"required": _("Tick the box to confirm the account.")},
    )

    # The checks' names for what they found wrong, and the fields that show it.
    FIELDS_OF_CHECKS = {
        destinations.ALIPAY: {"number": "alipay_account"},
        destinations.BANK: {"number": "card_number"},
    }

    def __init__(self, *args, saved_accounts=(), chosen=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_accounts = {str(account.pk): account for account in saved_accounts}
        if self.saved_accounts:
            self.fields["saved"].choices = [
                *((pk, str(account)) for pk, account in self.saved_accounts.items()),
                (self.ANOTHER, _("Another account")),
            ]
            chosen_pk = str(chosen.pk) if chosen is not None else None
            self.fields["saved"].initial = (
                chosen_pk if chosen_pk in self.saved_accounts else next(iter(self.saved_accounts))
            )
        else:
            del self.fields["saved"]
        self.fields["method"].initial = destinations.ALIPAY

    @property
    def typing_another(self) -> bool:
        return self.cleaned_data.get("saved", self.ANOTHER) in ("", self.ANOTHER)

    def clean(self):
        data = super().clean()
        if not self.typing_another:
            return data
        try:
            destinations.Destination.checked(**self.service_arguments())
        except ValidationError as error:
            self.add_service_error(error)
        return data

    def service_arguments(self) -> dict:
        """What `services.choose_payout_account` takes from this form."""
        data = self.cleaned_data
        if not self.typing_another:
            return {"saved_account": int(data["saved"])}
        method = data.get("method", "")
        number = data.get("alipay_account" if method == destinations.ALIPAY else "card_number")
        return {
            "method": method,
            "number": number or "",
            "bank_name": data.get("bank_name", ""),
            "holder_name": data.get("holder_name", ""),
        }

    def add_service_error(self, error: ValidationError) -> None:
        """A refusal of the checks or the service, next to the field it is about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        fields = self.FIELDS_OF_CHECKS.get(self.cleaned_data.get("method"), {})
        for name, errors in error.error_dict.items():
            field = fields.get(name, name)
            self.add_error(field if field in self.fields else None, errors)


class OfferForm(forms.Form):
    refund = forms.DecimalField(
        label=_("Refund (¥)"), min_value=0, initial=Decimal("0.00"), **MONEY
    )
    compensation = forms.DecimalField(
        label=_("Compensation (¥)"), min_value=0, initial=Decimal("0.00"), **MONEY
    )
    note = forms.CharField(
        label=_("Note to the consumer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class InfoAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Answer the platform's question; both sides and the platform read it."),
    )
    files = MultipleFileField(
        label=_("Files (optional)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF, up to 10 MB each."),
    )


class PaymentProofForm(forms.Form):
    files = MultipleFileField(
        label=_("Payment voucher"),
        help_text=_(
            "A screenshot or PDF of the transfer to the consumer: JPEG, PNG, WebP or PDF, "
            "up to 10 MB each."
        ),
    )


class DirectPaymentForm(forms.Form):
    """The merchant's record of paying a settlement; the service checks the rules."""

    amount = forms.DecimalField(
        label=_("Amount paid (¥)"),
        min_value=Decimal("0.01"),
        help_text=_("At least the settled amount."),
        **MONEY,
    )
    paid_at = forms.DateTimeField(
        label=_("When you paid"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    method = forms.ChoiceField(label=_("How you paid"), choices=DirectPayment.Method.choices)
    reference = forms.CharField(
        label=_("Transaction reference"),
        max_length=100,
        required=False,
        help_text=_("The transfer's number, so the consumer can find it."),
    )
    files = MultipleFileField(
        label=_("Payment voucher"),
        help_text=_(
            "A screenshot or PDF of the transfer to the consumer: JPEG, PNG, WebP or PDF, "
            "up to 10 MB each."
        ),
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Grounds of the appeal"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_(
            "What the decision got wrong, and the new information. You can appeal only once; "
            "a senior reviewer resolves the appeal and the resolution is final."
        ),
    )
    files = MultipleFileField(
        label=_("New evidence (optional)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF, up to 10 MB each."),
    )


class AppealResponseForm(forms.Form):
    response = forms.CharField(
        label=_("Your response"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("The senior reviewer who resolves the appeal reads it with the grounds."),
    )


class ComplaintSearchForm(forms.Form):
    """The search and filters above a party's list of complaints (read from the query)."""

    q = forms.CharField(
        label=_("Search"),
        max_length=60,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Complaint no., order no. or item")}
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Complaint.Kind.choices], required=False
    )
    filed_from = forms.DateField(
        label=_("Filed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    filed_to = forms.DateField(
        label=_("Filed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class NotificationSettingsForm(forms.Form):
    """A tick per topic and channel that can reach the person; the service judges the rest."""

    language = forms.ChoiceField(
        label=_("Language of your e-mails and text messages"), choices=settings.LANGUAGES
    )
    daily_digest = forms.BooleanField(
        label=_("Send updates as one e-mail a day, at 09:00"),
        help_text=_("What needs your action still comes at once."),
        required=False,
    )

    def __init__(self, *args, user, for_store: bool, **kwargs):
        self.channels = notices.channels_of(user)
        initial = {
            notices.muted(topic, channel): notices.muted(topic, channel)
            not in (user.muted_notices or ())
            for topic in notices.TOPICS
            for channel in self.channels
        }
        initial.update(language=user.message_language, daily_digest=user.daily_digest)
        super().__init__(*args, initial=initial, **kwargs)
        for topic, (label, _events) in notices.TOPICS.items():
            for channel in self.channels:
                self.fields[notices.muted(topic, channel)] = forms.BooleanField(
                    label=label, required=False
                )
        if not for_store:
            del self.fields["daily_digest"]

    def rows(self):
        """(topic label, [(channel name, bound field)]) for the table of ticks."""
        return [
            (
                label,
                [
                    (notices.CHANNEL_NAMES[channel], self[notices.muted(topic, channel)])
                    for channel in self.channels
                ],
            )
            for topic, (label, _events) in notices.TOPICS.items()
        ]

    def channel_names(self):
        return [notices.CHANNEL_NAMES[channel] for channel in self.channels]

    def muted(self) -> set[str]:
        return {
            notices.muted(topic, channel)
            for topic in notices.TOPICS
            for channel in self.channels
            if not self.cleaned_data.get(notices.muted(topic, channel))
        }
