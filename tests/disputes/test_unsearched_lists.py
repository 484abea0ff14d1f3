"""A party's complaint list unsearched, as most people see it: its first page and count read
by reads compiled once, the same rows in the same order as the searched list's queryset."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import party_lists
from disputes.models import Complaint
from tests.compiling import compiled_reads, reading
from tests.factories import ComplaintFactory, ConsumerFactory, OrderFactory

pytestmark = pytest.mark.django_db

PAGE_SIZE = 20


def _numbers(page) -> list[str]:
    return [complaint.number for complaint in page.context["page"].object_list]


def _consumer_with(count: int):
    consumer = ConsumerFactory()
    start = timezone.now() - timedelta(days=count)
    for day in range(count):
        complaint = ComplaintFactory(order=OrderFactory(consumer=consumer))
        Complaint.objects.filter(pk=complaint.pk).update(created_at=start + timedelta(days=day))
    return consumer


def test_a_consumers_long_list_is_paged_newest_first_with_its_count(client):
    consumer = _consumer_with(PAGE_SIZE + 3)
    client.force_login(consumer)
    newest_first = list(
        Complaint.objects.filter(consumer=consumer)
        .order_by("-created_at")
        .values_list("number", flat=True)
    )

    first = client.get(reverse("disputes:consumer_complaints"))
    second = client.get(reverse("disputes:consumer_complaints"), {"page": 2})

    assert _numbers(first) + _numbers(second) == newest_first
    assert first.context["page"].paginator.count == PAGE_SIZE + 3
    assert first.context["page"].paginator.num_pages == 2


def test_complaints_filed_in_the_same_instant_are_paged_once_each_latest_number_first(
    client,
):
    consumer = ConsumerFactory()
    complaints = [
        ComplaintFactory(order=OrderFactory(consumer=consumer)) for _ in range(PAGE_SIZE + 3)
    ]
    Complaint.objects.filter(consumer=consumer).update(created_at=timezone.now())
    client.force_login(consumer)

    first = client.get(reverse("disputes:consumer_complaints"))
    second = client.get(reverse("disputes:consumer_complaints"), {"page": 2})
    searched = client.get(reverse("disputes:consumer_complaints"), {"kind": complaints[0].kind})

    latest_first = [complaint.number for complaint in reversed(complaints)]
    assert _numbers(first) + _numbers(second) == latest_first
    assert _numbers(searched) == latest_first[:PAGE_SIZE]


def test_a_stores_list_is_earliest_deadline_first_none_last(client, store):
    now = timezone.now()
    for hours in (30, None, 5, 50, None, 1):
        complaint = ComplaintFactory(merchant=store.merchant, order__merchant=store.merchant)
        due = now + timedelta(hours=hours) if hours is not None else None
        Complaint.objects.filter(pk=complaint.pk).update(due_at=due)
    ComplaintFactory()
    client.force_login(store.owner)
    expected = list(
        Complaint.objects.filter(merchant=store.merchant)
        .order_by(*party_lists.QUEUE)
        .values_list("number", flat=True)
    )

    page = client.get(reverse("disputes:seller_complaints"))

    assert _numbers(page) == expected
    assert page.context["page"].paginator.count == 6


def test_a_search_or_a_status_still_narrows_the_list(client, store):
    settled = ComplaintFactory(merchant=store.merchant, status=Complaint.Status.SETTLED)
    ComplaintFactory(merchant=store.merchant)
    client.force_login(store.owner)

    page = client.get(reverse("disputes:seller_complaints"), {"status": "settled"})
    searched = client.get(reverse("disputes:seller_complaints"), {"q": settled.number})

    assert _numbers(page) == _numbers(searched) == [settled.number]


@pytest.mark.parametrize("party", ["consumer", "store"])
def test_a_warm_unsearched_list_compiles_no_read_of_complaints(client, store, party):
    for _ in range(PAGE_SIZE + 1):
        complaint = ComplaintFactory(merchant=store.merchant, order__merchant=store.merchant)
    if party == "consumer":
        user, url = complaint.consumer, reverse("disputes:consumer_complaints")
        Complaint.objects.update(consumer=user)
    else:
        user, url = store.owner, reverse("disputes:seller_complaints")
    client.force_login(user)
    client.get(url)

    with compiled_reads() as compiled:
        page = client.get(url)

    assert len(_numbers(page)) == PAGE_SIZE
    assert page.context["page"].paginator.num_pages == 2
    assert reading(compiled, "disputes_complaint") == []
