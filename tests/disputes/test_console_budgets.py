"""The console's case file and work queue cost a fixed, small number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes import services
from tests.disputes.test_review import STATES, World, senior_user
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

CASE_PAGE_BUDGET = 15


def _case_page_queries(client, complaint) -> int:
    url = reverse("admin:disputes_complaint_change", args=[complaint.pk])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("state", ["negotiating", *STATES])
def test_the_case_page_costs_at_most_15_queries_in_every_state(
    client, complaint, store, other_store, consumer, state
):
    services.post_message(complaint=complaint, author=consumer, body="你好")
    if state != "negotiating":
        complaint = World(complaint, store, other_store, consumer).build(state)
    client.force_login(senior_user())
    # Even the first page a server shows, before it has read the rules once.
    assert _case_page_queries(client, complaint) <= CASE_PAGE_BUDGET


def test_the_work_queue_costs_the_same_queries_for_1_or_100_complaints(client):
    client.force_login(senior_user())
    url = reverse("admin:disputes_complaint_changelist")
    ComplaintFactory()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(99):
        ComplaintFactory()
    with CaptureQueriesContext(connection) as hundred:
        assert client.get(url).status_code == 200
    assert len(hundred) == len(one) <= 10


def test_the_work_queue_shows_fifty_cases_a_page(client):
    client.force_login(senior_user())
    ComplaintFactory.create_batch(51)
    page = client.get(reverse("admin:disputes_complaint_changelist"))
    assert len(page.context["cl"].result_list) == 50
