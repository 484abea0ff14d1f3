"""Party pages served again from the cache only while nothing they show has changed.

These tests commit for real (`transaction=True`): a page goes stale when the change
*commits*, which a test wrapped in one transaction would never reach.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common import pagecache
from deposits import services as ledger
from deposits.destinations import Destination
from deposits.models import DepositAccount, Disbursement
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint
from disputes.views import _shared as views_shared
from merchants.models import Merchant
from tests.factories import ConsumerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def _complaint_url(complaint):
    return reverse("disputes:complaint", args=[complaint.number])


def _seller_url(complaint):
    return reverse("disputes:seller_complaint", args=[complaint.number])


def _get(client, url) -> tuple[str, int]:
    html, queries = _get_with_queries(client, url)
    return html, len(queries)


def _get_with_queries(client, url) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def _served_twice(client, url) -> str:
    """The page rendered, then served again from the cache: the same HTML, and nothing read
    but the session and the reader (with their store membership, in the same statement)."""
    fresh, _queries = _get(client, url)
    again, queries = _get_with_queries(client, url)
    assert _without_tokens(again) == _without_tokens(fresh)
    assert [sql for sql in queries if "disputes_" in sql or "deposits_" in sql] == []
    assert len(queries) <= 2
    return again


def _without_tokens(html: str) -> str:
    return CSRF_INPUT.sub("", html)


# --- served from the cache ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("consumer", lambda c: reverse("disputes:consumer_complaints")),
        ("consumer", _complaint_url),
        ("owner", lambda c: reverse("disputes:seller_overview")),
        ("owner", lambda c: reverse("disputes:seller_complaints")),
        ("owner", _seller_url),
    ],
)
def test_a_repeat_view_of_unchanged_data_is_served_from_the_cache(
    client, complaint, consumer, store, who, url
):
    client.force_login(consumer if who == "consumer" else store.owner)
    _served_twice(client, url(complaint))


@pytest.mark.parametrize("view", ["consumer_complaints", "seller_complaints"])
def test_a_list_served_from_the_cache_builds_no_search_form(
    client, complaint, consumer, store, monkeypatch, view
):
    client.force_login(consumer if view == "consumer_complaints" else store.owner)
    url = reverse(f"disputes:{view}") + "?status=negotiating&kind=counterfeit"
    fresh, _queries = _get(client, url)

    def not_on_a_cached_view(*args, **kwargs):
        raise AssertionError("the search form was built for a page served from the cache")

    monkeypatch.setattr(views_shared, "ComplaintSearchForm", not_on_a_cached_view)
    again, _queries = _get(client, url)
    assert _without_tokens(again) == _without_tokens(fresh)


def test_the_cache_is_off_without_a_shared_cache(client, complaint, consumer, settings):
    settings.PAGE_CACHE = False
    client.force_login(consumer)
    _get(client, _complaint_url(complaint))
    _again, second = _get(client, _complaint_url(complaint))
    _third, third = _get(client, _complaint_url(complaint))
    assert third == second > 5


def test_each_reader_has_their_own_page_and_others_still_get_404(client, complaint, consumer):
    client.force_login(consumer)
    _served_twice(client, _complaint_url(complaint))
    client.force_login(ConsumerFactory())
    assert client.get(_complaint_url(complaint)).status_code == 404


def test_each_complaint_of_one_reader_is_kept_apart(client, complaint, consumer, file):
    other = file(kind="after_sales", claimed_amount=Decimal("5.00"))
    client.force_login(consumer)
    first = _served_twice(client, _complaint_url(complaint))
    second = _served_twice(client, _complaint_url(other))
    again, queries = _get_with_queries(client, _complaint_url(complaint))
    assert complaint.number in first and other.number in second
    assert _without_tokens(again) == _without_tokens(first)
    assert [sql for sql in queries if "disputes_" in sql] == []


def test_each_language_has_its_own_page(client, complaint, consumer):
    client.force_login(consumer)
    chinese = _served_twice(client, reverse("disputes:consumer_complaints"))
    client.cookies["django_language"] = "en"
    english, _queries = _get(client, reverse("disputes:consumer_complaints"))
    assert "我的投诉" in chinese
    assert "My complaints" in english


def test_a_cached_page_carries_a_fresh_csrf_token_that_works(client, complaint, consumer):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(consumer)
    _get(client, _complaint_url(complaint))
    html, _queries = _get(client, _complaint_url(complaint))
    token = CSRF_INPUT.search(html).group(1)
    assert "\x00" not in html
    response = client.post(
        reverse("disputes:consumer_message", args=[complaint.number]),
        {"body": "还在吗", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


# --- what is never cached: the clock ------------------------------------------------------


def test_the_countdown_moves_on_while_the_page_is_cached(client, complaint, consumer):
    client.force_login(consumer)
    client.cookies["django_language"] = "en"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        Complaint.objects.filter(pk=complaint.pk).update(
            due_at=timezone.now() + timedelta(minutes=61, seconds=30)
        )
        before = _served_twice(client, _complaint_url(complaint))
        clock.shift(timedelta(minutes=3))
        later, queries = _get_with_queries(client, _complaint_url(complaint))
    assert "1 hour left" in before
    assert "58 minutes left" in later
    assert [sql for sql in queries if "disputes_" in sql] == []


def test_a_page_is_kept_no_longer_than_until_its_deadline(client, complaint, consumer):
    client.force_login(consumer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _served_twice(client, _complaint_url(complaint))
        clock.shift(timedelta(hours=49))
        _page, queries = _get(client, _complaint_url(complaint))
    assert queries > 5  # rendered afresh: the merchant's 48 hours are over


def test_timeouts_stop_at_the_moment_the_page_changes_by_time():
    now = timezone.now()
    assert pagecache._timeout(None) == pagecache.MAX_SECONDS
    assert 55 <= pagecache._timeout(now + timedelta(seconds=60)) <= 60
    assert pagecache._timeout(now - timedelta(seconds=1)) == 0
    assert pagecache._timeout(now + timedelta(days=3)) == pagecache.MAX_SECONDS


# --- every kind of change makes the page stale --------------------------------------------


def test_a_merchant_answer_shows_at_once_to_the_consumer(client, complaint, consumer, store):
    client.force_login(consumer)
    _served_twice(client, _complaint_url(complaint))
    _served_twice(client, reverse("disputes:consumer_complaints"))
    services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("80.00"),
        compensation_amount=Decimal("0"),
    )
    page, _queries = _get(client, _complaint_url(complaint))
    assert "¥80.00" in page
    _listing, queries = _get(client, reverse("disputes:consumer_complaints"))
    assert queries > 3  # rendered afresh


def test_a_message_shows_at_once_to_the_other_side(client, complaint, consumer, store):
    client.force_login(store.owner)
    _served_twice(client, _seller_url(complaint))
    services.post_message(complaint=complaint, author=consumer, body="颜色差太多了")
    page, _queries = _get(client, _seller_url(complaint))
    assert "颜色差太多了" in page


def test_the_deadline_sweep_shows_at_once(client, complaint, consumer, store):
    client.force_login(consumer)
    _served_twice(client, _complaint_url(complaint))
    client.force_login(store.owner)
    _served_twice(client, reverse("disputes:seller_complaints"))
    moved = process_due_complaints(timezone.now() + timedelta(hours=49))
    assert moved == 1
    seller_list, _queries = _get(client, reverse("disputes:seller_complaints"))
    assert "平台审核中" in seller_list or "Under review" in seller_list
    client.force_login(consumer)
    _page, queries = _get(client, _complaint_url(complaint))
    assert queries > 5
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.UNDER_REVIEW


def test_a_new_notification_shows_in_the_bell(client, complaint, consumer, store):
    client.force_login(consumer)
    before = _served_twice(client, reverse("disputes:consumer_complaints"))
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    after, _queries = _get(client, reverse("disputes:consumer_complaints"))
    assert 'class="count">1<' in after
    assert 'class="count">' not in before


def test_a_deposit_movement_shows_on_the_overview(client, complaint, store):
    client.force_login(store.owner)
    _served_twice(client, reverse("disputes:seller_overview"))
    ledger.record_pay_in(
        account=DepositAccount.objects.get(merchant=store.merchant),
        amount=Decimal("1234.00"),
        reference="top-up",
        idempotency_key="top-up-1",
    )
    page, _queries = _get(client, reverse("disputes:seller_overview"))
    assert "¥51,234.00" in page


def test_an_imported_order_and_a_restriction_show_on_the_overview(client, store, consumer):
    client.force_login(store.owner)
    _served_twice(client, reverse("disputes:seller_overview"))
    OrderFactory(merchant=store.merchant, consumer=consumer, item_title="新到的订单")
    page, _queries = _get(client, reverse("disputes:seller_overview"))
    assert "新到的订单" in page
    _served_twice(client, reverse("disputes:seller_overview"))
    Merchant.objects.filter(pk=store.merchant.pk).update(status=Merchant.Status.RESTRICTED)
    store.merchant.refresh_from_db()
    store.merchant.save()
    page, _queries = _get(client, reverse("disputes:seller_overview"))
    assert "badge-red" in page


def test_a_payout_sent_shows_on_the_complaint_page(client, complaint, consumer, store):
    payout = ledger.pay_out(
        account=DepositAccount.objects.get(merchant=store.merchant),
        reference=complaint.ledger_reference,
        amount=Decimal("1.00"),
        payee=consumer,
        destination=Destination.of(method=Disbursement.Method.ALIPAY, number=consumer.username),
        idempotency_key="payout-1",
    )
    client.force_login(consumer)
    _served_twice(client, _complaint_url(complaint))
    ledger.mark_disbursement_sent(
        disbursement=payout.disbursement,
        external_reference="ALI-1",
        actor=UserFactory(is_superuser=True),
    )
    _page, queries = _get(client, _complaint_url(complaint))
    assert queries > 5


def test_an_account_saved_on_one_complaint_is_offered_at_once_on_another(
    client, file, consumer, store
):
    first, second = file(), file(kind="false_advertising")
    for complaint in (first, second):
        services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
        services.escalate_complaint(complaint=complaint, actor=consumer)
    client.force_login(consumer)
    _served_twice(client, _complaint_url(second))
    services.choose_payout_account(
        complaint=first, actor=consumer, method="alipay", number="13800138000"
    )
    page, _queries = _get(client, _complaint_url(second))
    assert "138****8000" in page


def test_a_cache_failing_after_a_commit_neither_fails_the_change_nor_stops_what_follows(
    monkeypatch, django_capture_on_commit_callbacks
):
    from common import pagecache

    def unreachable(keys):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(pagecache, "enabled", lambda: True)
    monkeypatch.setattr(pagecache.cache, "delete_many", unreachable)
    after = []
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.bump(("store", 1))
        transaction.on_commit(lambda: after.append("ran"))
    assert after == ["ran"]
