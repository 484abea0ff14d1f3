"""Baseline views the benchmark harness measures the real pages against (scripts/bench.py).

Served only by `deposit_claims.bench_urls`, which the harness selects with
DJANGO_ROOT_URLCONF; the app's own URLconf never routes them.

- `ok`: the bare cost of a request through the middleware, with no session or query.
- `page`: what a lean logged-in page costs on this machine, its upper limit: the session
  and the user (the middleware's two reads), one query for the consumer's 20 latest
  complaints, one small template with translated labels, formatted dates and amounts.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines

from disputes.models import Complaint

ROWS = 20

# Inline, so the harness adds no template to the app; the labels are msgids the
# catalogues already translate, so the page renders in the request's language.
PAGE_TEMPLATE = """{% load i18n ui %}<!doctype html>
<html lang="{{ LANGUAGE_CODE }}"><head><meta charset="utf-8">
<title>{% translate "Complaints" %}</title></head><body>
<table>
<thead><tr>
<th>{% translate "Complaint" %}</th><th>{% translate "Order" %}</th>
<th>{% translate "Status" %}</th><th>{% translate "Filed" %}</th><th>{% translate "Deadline" %}</th>
<th>{% translate "Claimed" %}</th>
</tr></thead>
<tbody>{% for complaint in complaints %}
<tr><td>{{ complaint.get_kind_display }} {{ complaint.number }}</td>
<td>{{ complaint.order.item_title }}</td>
<td>{{ complaint.get_status_display }}</td>
<td>{{ complaint.created_at|date:"DATETIME_FORMAT" }}</td>
<td>{{ complaint.due_at|date:"SHORT_DATE_FORMAT"|default:"—" }}</td>
<td>{{ complaint.claimed_amount|money }}</td></tr>{% endfor %}
</tbody></table></body></html>
"""


@cache
def _page_template():
    """Compiled once per process, as the cached template loader does for the app's pages."""
    return engines["django"].from_string(PAGE_TEMPLATE)


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def page(request):
    complaints = list(
        Complaint.objects.filter(consumer=request.user)
        .select_related("order")
        .order_by("-created_at")[:ROWS]
    )
    # No request passed to render(): the project's context processors would add their own
    # queries, and this page is the limit without them.
    html = _page_template().render(
        {"complaints": complaints, "LANGUAGE_CODE": request.LANGUAGE_CODE}
    )
    return HttpResponse(html)
