from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .identifiers import normalize_identifier


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class IdentifierForm(forms.Form):
    identifier = forms.CharField(
        label=_("E-mail or mobile number"),
        max_length=254,
        help_text=_("The account you use on the marketplace; your orders are listed under it."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_identifier(self):
        return normalize_identifier(self.cleaned_data["identifier"])


class SignUpForm(IdentifierForm):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        required=False,
        help_text=_("Shown to the platform; merchants only ever see it masked (张*)."),
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text"}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=20,
        help_text=_("The six digits the app shows for this account once you have added it."),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )
