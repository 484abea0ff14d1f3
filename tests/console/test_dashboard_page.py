"""The dashboard page: a fixed number of queries, charts the Content-Security-Policy lets
through, escaped names, a readable table beside every chart."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deposit_claims.templatetags.ui import money
from deposits.models import LedgerEntry
from disputes.models import Complaint
from merchants.models import Merchant
from tests.console.builders import busy_platform, complaint
from tests.factories import (
    DepositAccountFactory,
    MerchantFactory,
    SeniorReviewerFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"
QUERY_BUDGET = 18  # 16 once the holidays and the deadline policy are cached


def queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_for_1_or_30_complaints(
    client, django_assert_max_num_queries
):
    client.force_login(SeniorReviewerFactory())
    busy_platform(1)
    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(DASHBOARD)  # the first also reads the holidays and the deadline policy
    one = queries_for_page(client)
    busy_platform(29)

    with django_assert_max_num_queries(QUERY_BUDGET):
        thirty = queries_for_page(client)

    assert thirty == one
    assert Complaint.objects.count() == 30


def test_the_page_has_no_inline_script_or_style_and_five_charts(client):
    busy_platform(6)
    client.force_login(SeniorReviewerFactory())

    page = client.get(DASHBOARD).content.decode()

    assert " style=" not in page
    assert "<style" not in page
    assert re.findall(r"<script(?![^>]*\ssrc=)", page) == []
    assert page.count('<svg class="chart ') == 5
    assert 'href="/static/css/console-dashboard.css"' in page


def test_every_chart_has_a_title_a_description_and_a_table_of_its_numbers(client):
    busy_platform(6)
    client.force_login(SeniorReviewerFactory())

    page = client.get(DASHBOARD).content.decode()

    charts = re.findall(r'<svg class="chart [^>]*aria-labelledby="([\w-]+)-title \1-desc"', page)
    assert sorted(charts) == [
        "chart-flow",
        "chart-paid",
        "chart-stores",
        "chart-times",
        "chart-workload",
    ]
    for chart in charts:
        assert f'<title id="{chart}-title">' in page
        assert f'<desc id="{chart}-desc">' in page
    content = page.split('id="content-main"')[1]
    assert content.count("<table") == 7  # one per chart, the restricted and the short stores
    paid = -LedgerEntry.objects.aggregate(total=Sum("balance_delta"))["total"]
    assert paid > 0
    assert money(paid) in page  # the period's total


def test_a_store_name_is_escaped_in_the_chart_and_the_table(client):
    store = MerchantFactory(name='<script>"坏店"</script>')
    complaint(merchant=store, escalated_at=timezone.now())
    client.force_login(SeniorReviewerFactory())

    page = client.get(DASHBOARD).content.decode()

    assert "<script>&quot;" not in page and '<script>"' not in page
    assert "&lt;script&gt;&quot;坏店&quot;&lt;/script&gt;" in page
    assert f'href="/admin/merchants/merchant/{store.pk}/change/"' in page


def test_the_restricted_and_short_stores_link_to_their_console_pages(client):
    restricted = MerchantFactory(name="监管店", status=Merchant.Status.RESTRICTED)
    short = DepositAccountFactory(
        merchant__name="差额店", top_up_amount_due=Decimal("40000.00"), top_up_due_by=timezone.now()
    )
    client.force_login(SeniorReviewerFactory())

    response = client.get(DASHBOARD)

    page = response.content.decode()
    assert f'href="/admin/merchants/merchant/{restricted.pk}/change/">监管店</a>' in page
    assert f'href="/admin/merchants/merchant/{short.merchant_id}/change/">差额店</a>' in page
    assert "¥40,000.00" in page
    assert response.context["restricted"].count == 1
    assert response.context["below_required"].count == 1


def test_an_empty_platform_says_so(client):
    client.force_login(SeniorReviewerFactory())

    page = client.get(DASHBOARD).content.decode()

    assert "No complaint was escalated in this period." in page
    assert "No reviewer has an open case." in page
    assert "No store is restricted." in page
    assert "deposit covers its requirement." in page
