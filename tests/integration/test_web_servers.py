"""Two gunicorn servers sharing one Redis: a session, a cached page and its invalidation
hold whichever server a request reaches."""

import html

import pytest
import redis
from django.urls import reverse

from . import processes
from .browser import PASSWORD, Browser, log_in

pytestmark = pytest.mark.postgres


def test_a_session_opened_on_one_server_holds_on_the_other_and_ends_on_both(
    two_web_servers, consumer
):
    server_a, server_b = two_web_servers
    browser = Browser()
    complaints = reverse("disputes:consumer_complaints")

    log_in(browser, server_a, consumer.username)

    assert browser.get(server_b + complaints)[0] == 200
    status, _page = browser.post(server_b + reverse("accounts:logout"), server_b + complaints, {})
    assert status == 302
    assert browser.get(server_a + complaints)[0] == 302  # to the login page


def test_a_change_through_one_server_shows_at_once_on_a_page_the_other_cached(
    two_web_servers, file, consumer
):
    server_a, server_b = two_web_servers
    complaint = file()
    page = reverse("disputes:complaint", kwargs={"number": complaint.number})
    browser = Browser()
    log_in(browser, server_a, consumer.username)

    assert "快递单号" not in browser.get(server_a + page)[1]
    cached_pages = redis.Redis.from_url(processes.CACHE_URL).keys("*page:*")
    assert cached_pages, "the page was not cached in the shared cache"

    status, _page = browser.post(
        server_b + reverse("disputes:consumer_message", kwargs={"number": complaint.number}),
        server_b + page,
        {"body": "快递单号 SF1234567890，请查收。"},
    )
    assert status == 302

    assert "快递单号 SF1234567890" in html.unescape(browser.get(server_a + page)[1])


def test_a_lockout_earned_on_one_server_holds_on_the_other(two_web_servers, consumer):
    server_a, server_b = two_web_servers
    login = reverse("accounts:login")
    guesser = Browser()
    for _ in range(5):
        guesser.post(
            server_a + login, server_a + login, {"username": consumer.username, "password": "guess"}
        )

    status, _page = Browser().post(
        server_b + login, server_b + login, {"username": consumer.username, "password": PASSWORD}
    )

    assert status == 429
