"""Where a role cannot take a complaint's next step, the case page says why in one line."""

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.admin.why_not import why_no_next_step
from disputes.models import Complaint, Decision
from tests.console.test_work_queue import appeal, case, decision
from tests.disputes.test_review import World, reviewer_user, senior_user
from tests.factories import FinanceUserFactory

pytestmark = pytest.mark.django_db

Status = Complaint.Status


def fresh(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def test_a_senior_is_told_their_own_award_needs_another_senior():
    senior, other = senior_user(), senior_user()
    award = case(Status.AWAITING_APPROVAL, assigned_reviewer=senior)
    decision(award, by=senior, status=Decision.Status.PENDING_APPROVAL)
    assert why_no_next_step(fresh(award), senior) == (
        "You made this award: another senior reviewer approves it."
    )
    assert why_no_next_step(fresh(award), other) == ""
    assert why_no_next_step(fresh(award), reviewer_user()) == (
        "A senior reviewer approves or sends back this award."
    )


def test_a_senior_who_took_part_is_told_another_resolves_the_appeal():
    senior, other, reviewer = senior_user(), senior_user(), reviewer_user()
    appealed = case(Status.UNDER_APPEAL)
    decision(appealed, by=reviewer, approved_by=senior)
    record = appeal(appealed, answered=False)
    assert why_no_next_step(fresh(appealed), other) == (
        "The appeal waits for the other party's response."
    )
    record.responded_at = timezone.now()
    record.save()
    assert why_no_next_step(fresh(appealed), senior) == (
        "You decided or approved this complaint: another senior reviewer resolves its appeal."
    )
    assert why_no_next_step(fresh(appealed), other) == ""


def test_reviewers_are_told_whose_case_it_is_and_finance_that_reviewers_decide():
    mine, colleague = reviewer_user(), reviewer_user()
    taken = case(Status.UNDER_REVIEW, assigned_reviewer=colleague)
    untaken = case(Status.UNDER_REVIEW)
    assert why_no_next_step(fresh(taken), mine) == (
        f"{colleague} has this case; take it over to decide it."
    )
    assert why_no_next_step(fresh(taken), colleague) == ""
    assert why_no_next_step(fresh(untaken), mine) == "Take the case to decide it."
    assert why_no_next_step(fresh(untaken), FinanceUserFactory()) == (
        "Only reviewers act on complaints; finance acts on their payouts."
    )


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Status.NEGOTIATING, "still negotiating"),
        (Status.CLOSED, "nothing is left for the platform to do"),
        (Status.AWAITING_MERCHANT_PAYMENT, "ordered to pay first"),
    ],
)
def test_outside_the_platforms_turn_everyone_is_told_so(status, says):
    assert says in why_no_next_step(fresh(case(status)), senior_user())


def test_the_case_page_shows_the_reason_beside_the_buttons(
    client, complaint, store, other_store, consumer
):
    world = World(complaint, store, other_store, consumer)
    awaiting = world.build("awaiting_approval")
    client.force_login(world.reviewer)
    page = client.get(
        reverse("admin:disputes_complaint_change", args=[awaiting.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert 'class="case-actions-none why-no-action">A senior reviewer approves' in page
