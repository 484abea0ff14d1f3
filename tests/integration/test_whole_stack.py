"""Everything at once, as production runs: two gunicorn servers, a Celery worker and beat,
PostgreSQL, Redis and S3. A message posted through one server reaches the store by e-mail
from the worker and shows on its page through the other server."""

import html

import pytest
from django.urls import reverse

from . import mailbox
from .browser import Browser, log_in
from .processes import eventually

pytestmark = pytest.mark.postgres


def test_a_message_through_one_server_is_mailed_by_the_worker_and_read_through_the_other(
    two_web_servers, worker_and_beat, file, consumer, store
):
    server_a, server_b = two_web_servers
    complaint = file()
    eventually(lambda: mailbox.delivered(store.staff.email))  # the filing's notice
    consumer_browser, staff_browser = Browser(), Browser()
    log_in(consumer_browser, server_a, consumer.username)
    log_in(staff_browser, server_b, store.staff.username)
    seller_page = server_b + reverse("disputes:seller_complaint", args=[complaint.number])
    assert "SF1234567890" not in staff_browser.get(seller_page)[1]

    status, _page = consumer_browser.post(
        server_a + reverse("disputes:consumer_message", args=[complaint.number]),
        server_a + reverse("disputes:complaint", args=[complaint.number]),
        {"body": "快递单号 SF1234567890"},
    )

    assert status == 302
    assert eventually(lambda: len(mailbox.delivered(store.staff.email)) == 2)
    assert complaint.number in mailbox.delivered(store.staff.email)[1]
    assert "SF1234567890" in html.unescape(staff_browser.get(seller_page)[1])
    for server in two_web_servers:
        assert '"status": "ok"' in Browser().get(server + "/readyz")[1]
