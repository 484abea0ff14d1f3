"""'Take the next case': one press assigns the untaken escalation due first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import Complaint
from tests.disputes.races import race
from tests.factories import ComplaintFactory, FinanceUserFactory, PlatformUserFactory

Status = Complaint.Status
TAKE_NEXT = reverse("admin:disputes_complaint_take_next")


def untaken(due_in_hours: int, status=Status.UNDER_REVIEW) -> Complaint:
    complaint = ComplaintFactory()
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, due_at=timezone.now() + timedelta(hours=due_in_hours)
    )
    return complaint


def reviewer_of(complaint) -> int | None:
    return Complaint.objects.get(pk=complaint.pk).assigned_reviewer_id


@pytest.mark.django_db
def test_a_reviewer_takes_the_case_due_first_and_lands_on_it(client):
    reviewer = PlatformUserFactory()
    later, first = untaken(30), untaken(5, status=Status.AWAITING_INFO)
    taken_by_colleague = untaken(1)
    Complaint.objects.filter(pk=taken_by_colleague.pk).update(
        assigned_reviewer=PlatformUserFactory()
    )
    client.force_login(reviewer)

    response = client.post(TAKE_NEXT)

    assert response.url == reverse("admin:disputes_complaint_change", args=[first.pk])
    assert reviewer_of(first) == reviewer.pk
    assert reviewer_of(later) is None
    assert client.post(TAKE_NEXT).url.endswith(f"/{later.pk}/change/")


@pytest.mark.django_db
def test_with_nothing_waiting_the_reviewer_is_told_and_nothing_changes(client):
    client.force_login(PlatformUserFactory())
    response = client.post(TAKE_NEXT, follow=True)
    assert "No escalation is waiting to be taken." in response.content.decode()


@pytest.mark.django_db
def test_finance_cannot_take_a_case(client):
    waiting = untaken(5)
    client.force_login(FinanceUserFactory())
    response = client.post(TAKE_NEXT, follow=True)
    assert reviewer_of(waiting) is None
    assert "You cannot take this complaint now." in response.content.decode()


@pytest.mark.django_db
def test_a_get_takes_nothing(client):
    waiting = untaken(5)
    client.force_login(PlatformUserFactory())
    assert client.get(TAKE_NEXT).url == reverse("admin:index")
    assert reviewer_of(waiting) is None


@pytest.mark.postgres
def test_two_reviewers_pressing_at_once_each_get_a_different_case():
    one, two = PlatformUserFactory(), PlatformUserFactory()
    cases = [untaken(5), untaken(6), untaken(7)]

    outcomes = race(
        lambda: services.take_next_case(actor=one), lambda: services.take_next_case(actor=two)
    )

    assert outcomes == ["done", "done"]
    taken = {c.pk: reviewer_of(c) for c in cases}
    assert sorted(filter(None, taken.values())) == sorted([one.pk, two.pk])
    assert taken[cases[2].pk] is None
