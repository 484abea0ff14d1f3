"""The list's status filter (ui.status_links): the links the template loop with Django's
`querystring` made, byte for byte, whatever the query and the language."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from disputes.models import Complaint

# What disputes/complaint_search.html looped over before the links were joined in Python.
TEMPLATE_LOOP = (
    '{% load i18n %}<a href="{% querystring status=None page=None %}" '
    '{% if not status %}aria-current="true"{% endif %}>{% translate "All" %}</a>\n  '
    '{% for value, label in statuses %}<a href="{% querystring status=value page=None %}" '
    '{% if status == value %}aria-current="true"{% endif %}>{{ label }}</a>{% endfor %}'
)
TAG = "{% load ui %}{% status_links status statuses %}"

QUERIES = [
    {},
    {"page": "3"},
    {"status": "settled"},
    {"status": "settled", "page": "2", "q": "TS2026"},
    {"q": '<b>"耳机" & 3</b>', "kind": "counterfeit", "filed_from": "2026-11-01"},
    {"status": "not-a-status", "q": "a b"},
]


def _render(source: str, query: dict, statuses) -> str:
    request = RequestFactory().get("/complaints/", query)
    request.user = AnonymousUser()
    context = {"status": request.GET.get("status", ""), "statuses": statuses}
    return engines["django"].from_string(source).render(context, request)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_links_are_those_the_template_loop_made(query, language):
    with translation.override(language):
        expected = _render(TEMPLATE_LOOP, query, Complaint.Status.choices)
        assert _render(TAG, query, Complaint.Status.choices) == expected


def test_a_label_is_escaped():
    statuses = [("x", '<i>"x" & y</i>')]
    links = _render(TAG, {"status": "x"}, statuses)
    assert ">&lt;i&gt;&quot;x&quot; &amp; y&lt;/i&gt;</a>" in links
    assert links == _render(TEMPLATE_LOOP, {"status": "x"}, statuses)


def test_the_chosen_status_is_marked_and_the_page_left_out():
    links = _render(TAG, {"status": "settled", "page": "4", "q": "耳机"}, Complaint.Status.choices)
    assert '<a href="?q=%E8%80%B3%E6%9C%BA" >' in links
    assert '<a href="?status=settled&amp;q=%E8%80%B3%E6%9C%BA" aria-current="true">' in links
    assert "page=" not in links
