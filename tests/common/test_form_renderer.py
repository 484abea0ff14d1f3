"""The form renderer builds the plainest widgets in Python: each must come out exactly as
Django's own template renders it, whatever the value, the attributes or the language."""

import datetime
from decimal import Decimal
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from common.form_renderer import INPUT_TEMPLATES, SELECT, TEXTAREA, FormRenderer
from disputes.forms import ComplaintSearchForm

HOSTILE = "a<b> & \"c\" 'd'"
TEMPLATES_RENDERER = DjangoTemplates()
FAST = FormRenderer()


def both(widget: forms.Widget, value, name="field", attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=TEMPLATES_RENDERER),
        widget.render(name, value, attrs=attrs, renderer=FAST),
    )


INPUTS = [
    forms.TextInput(),
    forms.TextInput(attrs={"type": "search", "placeholder": _("Search"), "maxlength": 60}),
    forms.NumberInput(attrs={"step": "0.01", "min": 0}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.PasswordInput(),
    forms.HiddenInput(),
    forms.DateInput(attrs={"type": "date"}),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.FileInput(attrs={"accept": "image/*,.pdf"}),
    forms.CheckboxInput(),
]
VALUES = [
    None,
    "",
    "plain",
    HOSTILE,
    mark_safe("<b>safe</b>"),
    _("Search"),
    0,
    12345,
    Decimal("1234.50"),
    datetime.date(2026, 11, 28),
    True,
    False,
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("widget", INPUTS, ids=lambda w: type(w).__name__)
def test_every_input_renders_as_djangos_template_does(widget, language):
    with translation.override(language):
        for value in VALUES:
            expected, fast = both(widget, value, attrs={"id": "id_field", "required": True})
            assert fast == expected, value


def test_attributes_true_false_none_and_hostile_values_render_as_djangos():
    attrs = {
        "id": "id_x",
        "required": True,
        "disabled": False,
        "data-none": None,
        "data-hostile": HOSTILE,
        "data-safe": mark_safe("<i>"),
        "data-number": 1000,
        "aria-label": _("Search"),
    }
    for widget in (forms.TextInput(), forms.Textarea(), forms.Select(choices=[("a", "A")])):
        expected, fast = both(widget, "a", attrs=attrs)
        assert fast == expected


@pytest.mark.parametrize(
    "value", [None, "", "one line", "two\nlines", HOSTILE, 0, mark_safe("<b>")]
)
def test_a_text_area_renders_as_djangos(value):
    expected, fast = both(forms.Textarea(attrs={"rows": 3, "maxlength": 2000}), value)
    assert fast == expected


CHOICES = [
    ("", _("Any kind")),
    ("counterfeit", _("Counterfeit goods")),
    ("hostile", HOSTILE),
    (1000, 1000),
    (Decimal("2.50"), Decimal("2.50")),
    ("safe", mark_safe("<b>safe</b>")),
]
GROUPED = [
    ("", "—"),
    (_("Search"), [("a", "A"), ("b", HOSTILE)]),
    (HOSTILE, [("c", "C")]),
    ("d", "D"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("widget", "values"),
    [
        (forms.Select(choices=CHOICES), [None, "", "counterfeit", "hostile", "1000", "missing"]),
        (forms.Select(choices=GROUPED), [None, "b", "c", "d"]),
        (forms.SelectMultiple(choices=CHOICES), [None, [], ["counterfeit", "safe"]]),
        (forms.SelectMultiple(choices=GROUPED), [["a", "c"]]),
        (forms.NullBooleanSelect(), [None, True, False, "unknown"]),
        (forms.Select(choices=[]), [None]),
    ],
    ids=["select", "grouped", "multiple", "multiple-grouped", "null-boolean", "empty"],
)
def test_every_drop_down_renders_as_djangos_template_does(widget, values, language):
    with translation.override(language):
        for value in values:
            expected, fast = both(widget, value, attrs={"id": "id_field"})
            assert fast == expected, value


def test_a_model_choices_value_renders_as_its_key():
    choices = [("", "---"), (ModelChoiceIteratorValue(7, object()), "Store 7")]
    expected, fast = both(forms.Select(choices=choices), "7")
    assert fast == expected
    assert 'value="7" selected' in fast


def test_what_it_does_not_build_falls_back_to_djangos_templates():
    for widget in (
        forms.RadioSelect(choices=CHOICES),
        forms.CheckboxSelectMultiple(choices=CHOICES),
        forms.ClearableFileInput(),
        forms.SplitDateTimeWidget(),
        forms.SelectDateWidget(),
    ):
        expected, fast = both(widget, None)
        assert fast == expected


def test_a_drop_down_whose_options_use_another_template_is_left_to_django():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    expected, fast = both(Custom(choices=CHOICES), "hostile")
    assert fast == expected


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_products_forms_render_the_same_whole(language):
    with translation.override(language):
        for form_class, data in (
            (ComplaintSearchForm, {"q": HOSTILE, "kind": "counterfeit", "filed_to": "2026-11-01"}),
            (ComplaintSearchForm, None),
        ):
            expected = form_class(data, renderer=TEMPLATES_RENDERER).render()
            assert form_class(data, renderer=FAST).render() == expected


def test_the_templates_it_builds_are_only_the_markup_it_writes():
    """Were Django's templates to change, the Python copies must change with them."""
    widgets = Path(django.forms.__file__).parent / "templates" / "django" / "forms" / "widgets"
    include = '{% include "django/forms/widgets/input.html" %}\n'
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        assert (widgets / Path(name).name).read_text() == include, name
    assert (widgets / "input.html").read_text() == (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
        " value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
        '{% include "django/forms/widgets/attrs.html" %}>\n'
    )
    assert (widgets / "attrs.html").read_text() == (
        "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
        "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}"
        "{% endfor %}"
    )
    assert (widgets / Path(TEXTAREA).name).read_text() == (
        '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
        "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
    )
    assert (widgets / Path(SELECT).name).read_text() == (
        '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
        '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
        "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
        "  </optgroup>{% endif %}{% endfor %}\n"
        "</select>\n"
    )
    assert (widgets / "select_option.html").read_text() == (
        "<option value=\"{{ widget.value|stringformat:'s' }}\""
        '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
    )


def test_no_installed_app_overrides_the_templates_it_builds():
    """An app's own `input.html` would be ignored by the Python copies: none may have one."""
    django_templates = Path(django.forms.__file__).parent / "templates"
    for name in (*INPUT_TEMPLATES, TEXTAREA, SELECT, "django/forms/widgets/select_option.html"):
        origin = Path(FAST.get_template(name).origin.name)
        assert origin.is_relative_to(django_templates), origin


def test_the_project_renders_forms_with_it():
    assert isinstance(get_default_renderer(), FormRenderer)
