"""Small dead ends of the party pages, each fixed and kept fixed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from disputes.models import Complaint
from tests.disputes.test_review import World
from tests.factories import ComplaintFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_store_list_puts_the_earliest_deadline_first_and_closed_cases_last(client, store):
    soon = ComplaintFactory(order=OrderFactory(merchant=store.merchant))
    closed = ComplaintFactory(order=OrderFactory(merchant=store.merchant))
    Complaint.objects.filter(pk=closed.pk).update(
        status=Complaint.Status.CLOSED, due_at=None, created_at=timezone.now() + timedelta(1)
    )
    client.force_login(store.owner)

    page = client.get(reverse("disputes:seller_complaints")).content.decode()

    assert page.index(soon.number) < page.index(closed.number)


def test_a_consumer_is_not_told_that_nothing_is_held(client, complaint, consumer):
    Complaint.objects.filter(pk=complaint.pk).update(
        status=Complaint.Status.UNDER_REVIEW, held_amount=0
    )
    client.force_login(consumer)
    page = client.get(reverse("disputes:complaint", args=[complaint.number])).content.decode()
    assert "The platform is reviewing the case. A decision is due" in page
    assert "¥0.00" not in page


def test_an_award_shows_each_rules_name_never_its_code(
    client, complaint, store, other_store, consumer
):
    paid = World(complaint, store, other_store, consumer).build("paid")
    client.force_login(consumer)
    page = client.get(reverse("disputes:complaint", args=[paid.number])).content.decode()
    lines = paid.final_decision.lines.all()
    assert lines and all(line.explanation in page for line in lines)
    assert not any(f">{line.rule}<" in page for line in lines)


def test_sending_a_message_says_it_was_sent(client, complaint, consumer):
    client.force_login(consumer)
    page = client.post(
        reverse("disputes:consumer_message", args=[complaint.number]),
        {"body": "请尽快处理。"},
        follow=True,
    )
    assert "Message sent." in page.content.decode()


def test_the_filing_page_shows_the_orders_times_that_open_each_kind(client, order, consumer):
    client.force_login(consumer)
    page = client.get(
        reverse("disputes:file_complaint", args=[order.order_number])
    ).content.decode()
    for label in ("Paid", "Ship by", "Shipped", "Delivered", "Completed"):
        assert f"<dt>{label}</dt>" in page
    assert date_format(localtime(order.delivered_at), "DATETIME_FORMAT") in page


def test_an_order_not_yet_shipped_says_so(client, consumer, store):
    unshipped = OrderFactory(
        merchant=store.merchant,
        consumer=consumer,
        shipped_at=None,
        delivered_at=None,
        completed_at=None,
    )
    client.force_login(consumer)
    page = client.get(
        reverse("disputes:file_complaint", args=[unshipped.order_number])
    ).content.decode()
    assert "<dt>Shipped</dt><dd>Not yet</dd>" in page
