"""The stage bar on a complaint page: where the complaint is, what is done, what it skipped."""

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Complaint
from disputes.progress import stages
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

Status = Complaint.Status
Closure = Complaint.ClosureReason


def bar(status, *, paid=False, closure="") -> list[str]:
    complaint = ComplaintFactory()
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, paid_at=timezone.now() if paid else None, closure_reason=closure
    )
    return [stage.state for stage in stages(Complaint.objects.get(pk=complaint.pk))]


@pytest.mark.parametrize(
    ("status", "paid", "closure", "states"),
    [
        (Status.NEGOTIATING, False, "", ["current", "next", "next", "next", "next"]),
        (Status.SETTLED, False, "", ["done", "skipped", "skipped", "skipped", "skipped"]),
        (Status.AWAITING_INFO, False, "", ["done", "current", "next", "next", "next"]),
        (Status.AWAITING_APPROVAL, False, "", ["done", "done", "current", "next", "next"]),
        (
            Status.AWAITING_MERCHANT_PAYMENT,
            False,
            "",
            ["done", "done", "done", "current", "next"],
        ),
        (Status.PAID, True, "", ["done", "done", "done", "done", "next"]),
        (Status.REJECTED, False, "", ["done", "done", "done", "skipped", "next"]),
        (Status.UNDER_APPEAL, False, "", ["done", "done", "done", "skipped", "current"]),
        (Status.UNDER_APPEAL, True, "", ["done", "done", "done", "done", "current"]),
        (
            Status.CLOSED,
            True,
            Closure.APPEAL_WINDOW,
            ["done", "done", "done", "done", "skipped"],
        ),
        (
            Status.CLOSED,
            True,
            Closure.APPEAL_RESOLVED,
            ["done", "done", "done", "done", "done"],
        ),
        (
            Status.CLOSED,
            False,
            Closure.LAPSED,
            ["done", "skipped", "skipped", "skipped", "skipped"],
        ),
    ],
)
def test_each_state_shows_where_the_complaint_is(status, paid, closure, states):
    assert bar(status, paid=paid, closure=closure) == states


def test_both_parties_see_the_bar_with_the_current_stage_marked(client, complaint, consumer, store):
    for user, url in (
        (consumer, reverse("disputes:complaint", args=[complaint.number])),
        (store.owner, reverse("disputes:seller_complaint", args=[complaint.number])),
    ):
        client.force_login(user)
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'class="stage stage-current" aria-current="step">Negotiation</li>' in page
