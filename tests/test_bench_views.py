"""The benchmark harness's baseline views work, and only its own URLconf serves them."""

import pytest
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse

from tests.factories import ComplaintFactory, ConsumerFactory

pytestmark = pytest.mark.django_db

BENCH_URLS = "deposit_claims.bench_urls"


@pytest.fixture
def bench_urls():
    with override_settings(ROOT_URLCONF=BENCH_URLS):
        yield


def test_the_bare_view_answers_ok(client, bench_urls):
    response = client.get("/__bench__/ok")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_page_limit_sends_a_visitor_to_log_in(client, bench_urls):
    response = client.get("/__bench__/page")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_page_limit_lists_the_consumers_latest_complaints_in_one_query(
    client, bench_urls, django_assert_num_queries
):
    consumer = ConsumerFactory()
    mine = ComplaintFactory.create_batch(3, order__consumer=consumer)
    someone_elses = ComplaintFactory()
    client.force_login(consumer)
    # The session and the user, then the page's one query.
    with django_assert_num_queries(3):
        response = client.get("/__bench__/page", headers={"accept-language": "en"})
    assert response.status_code == 200
    page = response.content.decode()
    assert all(complaint.number in page for complaint in mine)
    assert someone_elses.number not in page
    assert "¥100.00" in page


def test_the_page_limit_speaks_the_requests_language(client, bench_urls):
    consumer = ConsumerFactory()
    ComplaintFactory(order__consumer=consumer)
    client.force_login(consumer)
    page = client.get("/__bench__/page").content.decode()
    assert "投诉" in page


def test_the_bench_urlconf_still_serves_the_app(client, bench_urls):
    assert client.get(reverse("accounts:login")).status_code == 200


def test_the_app_never_routes_the_baselines(client):
    for path in ("/__bench__/ok", "/__bench__/page"):
        with pytest.raises(Resolver404):
            resolve(path, urlconf="deposit_claims.urls")
        assert client.get(path).status_code == 404
