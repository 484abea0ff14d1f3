"""Whole pages with forms come out the same whether Django's widget templates or the
project's form renderer (common/form_renderer.py) build their fields: the parties' lists
and complaint pages, the notification settings, and the console's model forms."""

import re
from unittest import mock

import pytest
from django.forms.renderers import get_default_renderer
from django.test import override_settings
from django.urls import reverse

from common import form_renderer
from tests.factories import PlatformUserFactory
from tests.login import pass_second_factor

pytestmark = pytest.mark.django_db

# What differs between two requests whatever renders the forms.
PER_REQUEST = (
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]+"'), "nonce"),
)


def page(client, url: str, renderer: str) -> str:
    get_default_renderer.cache_clear()
    try:
        with override_settings(FORM_RENDERER=renderer, PAGE_CACHE=False):
            response = client.get(url)
    finally:
        get_default_renderer.cache_clear()
    assert response.status_code == 200, url
    html = response.content.decode()
    for pattern, replacement in PER_REQUEST:
        html = pattern.sub(replacement, html)
    return html


def assert_same_either_way(client, url: str) -> None:
    templates = page(client, url, "django.forms.renderers.DjangoTemplates")
    built = [
        mock.patch.object(form_renderer, name, wraps=getattr(form_renderer, name))
        for name in ("_input", "_select", "_textarea")
    ]
    with built[0] as inputs, built[1] as selects, built[2] as textareas:
        python = page(client, url, "common.form_renderer.FormRenderer")
    assert inputs.called or selects.called or textareas.called, f"{url} builds no widget"
    assert python == templates, url


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_party_pages_are_the_same_either_way(client, complaint, consumer, store, language):
    client.cookies["django_language"] = language
    client.force_login(consumer)
    for url in (
        reverse("disputes:consumer_complaints"),
        reverse("disputes:consumer_complaints")
        + "?q=%3Cb%3E&kind=counterfeit&filed_from=2026-01-01",
        reverse("disputes:complaint", args=[complaint.number]),
        reverse("disputes:notification_settings"),
    ):
        assert_same_either_way(client, url)
    client.force_login(store.owner)
    for url in (
        reverse("disputes:seller_complaints") + "?q=x",
        reverse("disputes:seller_complaint", args=[complaint.number]),
    ):
        assert_same_either_way(client, url)


def test_the_consoles_forms_are_the_same_either_way(client):
    """The console's own pages write their action forms by hand; its model forms (a store,
    the deposit policy, the compensation rule, an API client) are built with widgets."""
    administrator = PlatformUserFactory(is_superuser=True)
    client.force_login(administrator)
    pass_second_factor(client, administrator)
    for model in (
        "merchants_merchant",
        "deposits_depositpolicy",
        "disputes_compensationrule",
        "api_apiclient",
    ):
        assert_same_either_way(client, reverse(f"admin:{model}_add"))
