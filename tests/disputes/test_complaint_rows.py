"""A list's complaint rows, joined in Python (ui.complaint_rows): what each cell shows,
escaped, linked to the reader's page of the complaint."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from common import pagecache
from deposit_claims.templatetags.ui import complaint_rows
from disputes.models import Complaint
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def _rows(complaints, url_name="disputes:complaint", request=None):
    with translation.override("en"):
        return complaint_rows({"request": request}, complaints, url_name)


def test_a_row_links_the_complaint_and_shows_its_cells():
    complaint = ComplaintFactory(
        claimed_amount=Decimal("1234.5"),
        status=Complaint.Status.NEGOTIATING,
        due_at=timezone.now() + timedelta(days=1, hours=2, minutes=5),
    )
    row = _rows([complaint], "disputes:seller_complaint")
    link = reverse("disputes:seller_complaint", args=[complaint.number])
    assert f'<a href="{link}"><strong>{complaint.get_kind_display()}</strong></a>' in row
    assert f'<span class="muted mono">{complaint.number}</span>' in row
    assert '<span class="badge badge-blue">' in row
    assert "1 day 2 hours left" in row
    assert '<td data-label="Claimed" class="num money">¥1,234.50</td>' in row


def test_what_the_marketplace_sent_is_escaped():
    complaint = ComplaintFactory(order__item_title='<script>alert("x")</script>')
    row = _rows([complaint])
    assert "<script>" not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in row


def test_a_complaint_without_a_deadline_shows_a_dash():
    row = _rows([ComplaintFactory(status=Complaint.Status.CLOSED, due_at=None)])
    assert '<td data-label="Deadline">—</td>' in row


def test_a_page_being_cached_keeps_the_deadline_as_a_placeholder():
    complaint = ComplaintFactory(due_at=timezone.now() + timedelta(hours=5))
    request = RequestFactory().get("/")
    setattr(request, pagecache._RENDERING_FOR_CACHE, True)
    row = _rows([complaint], request=request)
    assert "\x00deadline:" in row
    assert "hours left" not in row


def test_no_complaints_no_rows():
    assert _rows([]) == ""


@pytest.mark.parametrize(
    ("who", "url_name"),
    [("consumer", "disputes:consumer_complaints"), ("owner", "disputes:seller_complaints")],
)
def test_the_lists_read_only_what_their_rows_show(
    client, complaint, consumer, store, who, url_name
):
    client.force_login(consumer if who == "consumer" else store.owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url_name))
    assert complaint.number in response.content.decode()
    (listing,) = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "disputes_complaint"."id"')
    ]
    assert '"disputes_complaint"."description"' not in listing
    assert '"merchants_order"."item_title"' in listing
    assert '"merchants_merchant".' not in listing
    assert '"accounts_user".' not in listing
