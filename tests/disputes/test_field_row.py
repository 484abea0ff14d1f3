"""A form field's row (ui.field_row): byte for byte what the included template made, for
every kind of field the pages show, bound or not, with errors, in both languages."""

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from accounts.forms import IdentifierForm, SecondFactorForm, SignUpForm
from disputes.forms import (
    AcceptClaimForm,
    AppealForm,
    AppealResponseForm,
    ComplaintForm,
    DeclineOfferForm,
    DirectPaymentForm,
    EscalateForm,
    EvidenceForm,
    InfoAnswerForm,
    MessageForm,
    OfferForm,
    PaymentProofForm,
    PayoutAccountForm,
    RefuseForm,
    WithdrawForm,
)
from merchants.forms import InviteForm

# templates/includes/field.html, which every form's fields were included through.
INCLUDED = (
    '<div class="field{% if field.errors %} field-invalid{% endif %}">\n'
    '  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} '
    '<span class="required" aria-hidden="true">*</span>{% endif %}</label>\n'
    "  {{ field }}\n"
    '  {% if field.help_text %}<p class="help" id="{{ field.id_for_label }}_help">'
    "{{ field.help_text }}</p>{% endif %}\n"
    '  {% for error in field.errors %}<p class="field-error">{{ error }}</p>{% endfor %}\n'
    "</div>\n"
)


class HostileForm(forms.Form):
    title = forms.CharField(
        label='<b>"标题" & co</b>',
        help_text="<i>'help'</i> & more",
        max_length=3,
    )
    amount = forms.DecimalField(label="Amount", required=False, decimal_places=2)
    choice = forms.ChoiceField(label="Pick", choices=[("a", "<A>"), ("b", "B & b")])


FORMS = [
    MessageForm,
    EvidenceForm,
    AppealForm,
    AppealResponseForm,
    RefuseForm,
    OfferForm,
    InfoAnswerForm,
    PaymentProofForm,
    DeclineOfferForm,
    EscalateForm,
    WithdrawForm,
    AcceptClaimForm,
    ComplaintForm,
    IdentifierForm,
    SignUpForm,
    SecondFactorForm,
    InviteForm,
    HostileForm,
    lambda data: DirectPaymentForm(data, initial={"amount": "12.50"}),
    lambda data: PayoutAccountForm(data),
]
DATA = [None, {}, {"title": "<script>x</script>", "amount": "1.234", "choice": "z"}]


def _rows(form, source: str) -> list[str]:
    template = engines["django"].from_string(source)
    return [template.render({"field": field}) for field in form]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("data", DATA, ids=["unbound", "empty", "wrong"])
@pytest.mark.parametrize("make", FORMS)
def test_a_fields_row_is_what_the_included_template_made(make, data, language):
    with translation.override(language):
        form = make(data)
        assert _rows(form, "{% load ui %}{% field_row field %}") == _rows(form, INCLUDED)


def test_what_the_row_shows_is_escaped():
    form = HostileForm({"title": "<script>x</script>", "choice": "z"})
    (title, _amount, choice) = _rows(form, "{% load ui %}{% field_row field %}")
    assert "&lt;b&gt;&quot;标题&quot; &amp; co&lt;/b&gt;" in title
    help_text = "&lt;i&gt;&#x27;help&#x27;&lt;/i&gt; &amp; more"
    assert f'<p class="help" id="id_title_help">{help_text}</p>' in title
    assert "<script>" not in title
    assert 'class="field field-invalid"' in choice
