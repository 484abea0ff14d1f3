"""The platform's deadlines act by themselves, at their instant and not a second before."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from deposits.models import Disbursement, LedgerEntry
from disputes import services
from disputes.deadlines import process_due_complaints
from disputes.models import Appeal, Complaint, Holiday, InfoRequest, Notification
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.test_review import (
    decide,
    escalate,
    reject,
    reload,
    reviewer_user,
    senior_user,
    under_review,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status
SECOND = timedelta(seconds=1)
CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reviewer():
    return reviewer_user()


@pytest.fixture
def reviewed(complaint, store, consumer, reviewer):
    return under_review(complaint, store, consumer, reviewer)


# --- information requests -----------------------------------------------------------------


def test_an_unanswered_request_lapses_and_review_resumes_flagged(reviewed, reviewer):
    info = services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="?")
    process_due_complaints(info.due_at - SECOND)
    assert reload(reviewed).status == S.AWAITING_INFO
    process_due_complaints(info.due_at)
    resumed = reload(reviewed)
    assert (resumed.status, resumed.info_lapsed, resumed.due_at) == (
        S.UNDER_REVIEW,
        True,
        resumed.decision_due_at,
    )
    info.refresh_from_db()
    assert info.lapsed_at == info.due_at
    assert resumed.assigned_reviewer == reviewer
    # The reviewer may ask again, and decide.
    services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="再问")
    assert reload(reviewed).status == S.AWAITING_INFO


def test_one_lapsed_request_waits_for_the_other_and_the_flag_stays(reviewed, reviewer, store):
    first = services.request_info(
        complaint=reviewed, actor=reviewer, party="consumer", question="?"
    )
    with time_machine.travel(timezone.now() + timedelta(hours=24)):
        second = services.request_info(
            complaint=reviewed, actor=reviewer, party="merchant", question="?"
        )
    process_due_complaints(first.due_at)
    waiting = reload(reviewed)
    assert (waiting.status, waiting.due_at) == (S.AWAITING_INFO, second.due_at)
    with time_machine.travel(second.due_at - SECOND, tick=False):
        services.submit_info(complaint=reviewed, actor=store.owner, answer="物流记录")
    resumed = reload(reviewed)
    assert (resumed.status, resumed.info_lapsed) == (S.UNDER_REVIEW, True)


def test_both_requests_lapsing_together_resume_review_in_one_run(reviewed, reviewer):
    with time_machine.travel(timezone.now(), tick=False):
        services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="?")
        services.request_info(complaint=reviewed, actor=reviewer, party="merchant", question="?")
    due = reload(reviewed).due_at
    process_due_complaints(due)
    assert reload(reviewed).status == S.UNDER_REVIEW
    assert InfoRequest.objects.filter(lapsed_at=due).count() == 2


def test_the_party_asked_is_reminded_24_hours_before(reviewed, reviewer, consumer):
    info = services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="?")
    process_due_complaints(info.due_at - timedelta(hours=24))
    assert Notification.objects.filter(user=consumer, event="reminder").count() == 1
    process_due_complaints(info.due_at - timedelta(hours=23))
    assert Notification.objects.filter(user=consumer, event="reminder").count() == 1


# --- paying first -------------------------------------------------------------------------


def test_the_deposit_is_charged_when_the_72_hours_to_pay_first_end(reviewed, reviewer, store):
    decide(reviewed, reviewer, route="merchant_first")
    due = reload(reviewed).due_at
    process_due_complaints(due - SECOND)
    assert reload(reviewed).status == S.AWAITING_MERCHANT_PAYMENT
    assert not Disbursement.objects.exists()
    process_due_complaints(due)
    charged = reload(reviewed)
    assert (charged.status, charged.paid_at, charged.due_at) == (
        S.PAID,
        due,
        due + timedelta(days=5),
    )
    assert Disbursement.objects.get().amount == Decimal("209.00")
    assert LedgerEntry.objects.filter(kind="claim_payout").count() == 1
    assert_ledger_balanced()


def test_the_merchant_is_reminded_to_pay_first(reviewed, reviewer, store):
    decide(reviewed, reviewer, route="merchant_first")
    due = reload(reviewed).due_at
    process_due_complaints(due - timedelta(hours=24))
    assert Notification.objects.filter(user=store.owner, event="reminder").exists()


# --- appeals ------------------------------------------------------------------------------


def test_an_unanswered_appeal_goes_to_the_senior_after_48_hours(reviewed, reviewer, consumer):
    decide(reviewed, reviewer)
    appeal = services.appeal_complaint(complaint=reviewed, actor=consumer, reason="赔少了")
    process_due_complaints(appeal.response_due_at - SECOND)
    appeal.refresh_from_db()
    assert not appeal.response_lapsed
    with pytest.raises(Exception):  # noqa: B017 - not ready yet
        services.resolve_appeal(
            complaint=reviewed, actor=senior_user(), outcome="upheld", resolution="x"
        )
    process_due_complaints(appeal.response_due_at)
    appeal = Appeal.objects.get()
    assert (appeal.response_lapsed, appeal.ready_for_resolution) == (True, True)
    waiting = reload(reviewed)
    assert (waiting.status, waiting.due_at) == (S.UNDER_APPEAL, None)
    services.resolve_appeal(
        complaint=reviewed, actor=senior_user(), outcome="upheld", resolution="x"
    )
    assert reload(reviewed).status == S.CLOSED


@pytest.mark.parametrize("outcome", ["paid", "rejected"])
def test_nobody_appealing_within_5_days_closes_the_complaint(reviewed, reviewer, consumer, outcome):
    if outcome == "paid":
        decide(reviewed, reviewer)
    else:
        reject(reviewed, reviewer)
    due = reload(reviewed).due_at
    process_due_complaints(due - SECOND)
    assert reload(reviewed).status == outcome
    process_due_complaints(due)
    closed = reload(reviewed)
    assert (closed.status, closed.closure_reason, closed.closed_at, closed.due_at) == (
        S.CLOSED,
        "appeal_window",
        due,
        None,
    )
    assert Notification.objects.filter(user=consumer, event="closed").exists()
    assert_ledger_balanced()


def test_the_whole_platform_half_runs_on_deadlines_alone(complaint, store, consumer):
    """Merchant silent → escalated; pay-first ignored → charged; no appeal → closed."""
    process_due_complaints(complaint.due_at)
    reviewer = reviewer_user()
    services.take_case(complaint=complaint, actor=reviewer)
    decide(complaint, reviewer, route="merchant_first")
    process_due_complaints(reload(complaint).due_at)
    process_due_complaints(reload(complaint).due_at)
    assert reload(complaint).status == S.CLOSED
    assert Disbursement.objects.count() == 1
    assert_ledger_balanced()


# --- the decision target ------------------------------------------------------------------


def _next(weekday: int, hour: int = 15) -> datetime:
    """The next given weekday (Monday 0) at least two days ahead, at `hour` China time."""
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)


def _escalated_at(moment, file, store, consumer):
    with time_machine.travel(moment, tick=False):
        complaint = file()
        escalate(complaint, store, consumer)
    return reload(complaint)


def test_a_friday_escalation_is_due_on_thursday_and_flagged_when_late(file, store, consumer):
    friday = _next(4)
    complaint = _escalated_at(friday, file, store, consumer)
    thursday = friday + timedelta(days=6)
    assert complaint.decision_due_at == thursday
    process_due_complaints(thursday - SECOND)
    assert not reload(complaint).decision_overdue
    process_due_complaints(thursday)
    assert reload(complaint).decision_overdue


def test_a_holiday_pushes_the_decision_target_back_a_day(file, store, consumer):
    friday = _next(4)
    Holiday.objects.create(date=(friday + timedelta(days=4)).date(), name="假日")  # Tuesday
    complaint = _escalated_at(friday, file, store, consumer)
    assert complaint.decision_due_at == friday + timedelta(days=7)
    process_due_complaints(friday + timedelta(days=6))
    assert not reload(complaint).decision_overdue
    process_due_complaints(friday + timedelta(days=7))
    assert reload(complaint).decision_overdue


def test_a_late_friday_night_escalation_counts_from_friday(file, store, consumer):
    friday_night = _next(4, hour=23)
    complaint = _escalated_at(friday_night, file, store, consumer)
    assert complaint.decision_due_at == friday_night + timedelta(days=6)


@pytest.mark.parametrize("waiting", ["awaiting_info", "awaiting_approval"])
def test_waiting_for_information_or_approval_does_not_stop_the_clock(reviewed, reviewer, waiting):
    if waiting == "awaiting_info":
        services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="?")
    else:
        from tests.disputes.test_review import low_threshold

        low_threshold()
        decide(reviewed, reviewer)
    due = reload(reviewed).decision_due_at
    process_due_complaints(due)
    flagged = reload(reviewed)
    assert flagged.decision_overdue
    assert flagged.status == waiting or flagged.status == S.UNDER_REVIEW


def test_a_case_decided_in_time_is_never_flagged(reviewed, reviewer):
    decide(reviewed, reviewer)
    process_due_complaints(reload(reviewed).decision_due_at + timedelta(days=1))
    assert not reload(reviewed).decision_overdue


def test_reopening_an_unpaid_settlement_starts_a_new_decision_target(file, store, consumer):
    monday = _next(0, hour=10)
    # Settled the Friday before: the Monday is within the 7 days to report it unpaid,
    # whatever day the test runs.
    with time_machine.travel(monday - timedelta(days=3), tick=False):
        complaint = file()
        services.accept_claim(complaint=complaint, actor=store.owner)
    with time_machine.travel(monday, tick=False):
        services.reopen_complaint(complaint=complaint, actor=consumer)
    reopened = reload(complaint)
    assert reopened.decision_due_at == monday + timedelta(days=4)
    assert date.fromisoformat(str(reopened.decision_due_at.astimezone(CHINA).date())).weekday() == 4


# --- the system steps refuse to act early -----------------------------------------------


def test_no_system_step_acts_before_its_deadline(reviewed, reviewer, consumer, store):
    info = services.request_info(complaint=reviewed, actor=reviewer, party="consumer", question="?")
    services.lapse_info_requests(complaint=reviewed, now=info.due_at - SECOND)
    assert reload(reviewed).status == S.AWAITING_INFO
    assert InfoRequest.objects.get().lapsed_at is None
    services.submit_info(complaint=reviewed, actor=consumer, answer="好的")
    with pytest.raises(ValidationError):
        services.lapse_info_requests(complaint=reviewed, now=info.due_at)  # under review now

    decide(reviewed, reviewer, route="merchant_first")
    due = reload(reviewed).due_at
    with pytest.raises(ValidationError):
        services.charge_deposit(complaint=reviewed, now=due - SECOND)
    with pytest.raises(ValidationError):
        services.close_complaint(complaint=reviewed, now=due)  # not paid yet
    services.charge_deposit(complaint=reviewed, now=due)

    window = reload(reviewed).due_at
    with pytest.raises(ValidationError):
        services.close_complaint(complaint=reviewed, now=window - SECOND)
    appeal = services.appeal_complaint(complaint=reviewed, actor=store.owner, reason="多赔了")
    with pytest.raises(ValidationError):
        services.lapse_appeal_response(complaint=reviewed, now=appeal.response_due_at - SECOND)
    services.lapse_appeal_response(complaint=reviewed, now=appeal.response_due_at)
    with pytest.raises(ValidationError):
        services.lapse_appeal_response(complaint=reviewed, now=appeal.response_due_at)
    assert Disbursement.objects.count() == 1
    assert_ledger_balanced()


def test_the_overdue_flag_is_a_system_step_on_the_timeline_written_once(reviewed):
    from django_fsm_log.models import StateLog

    from disputes.timeline import timeline

    due = reviewed.decision_due_at
    with pytest.raises(ValidationError):
        services.flag_decision_overdue(complaint=reviewed, now=due - SECOND)
    process_due_complaints(due)
    process_due_complaints(due + timedelta(hours=1))
    (log,) = StateLog.objects.for_(reviewed).filter(transition="flag_overdue")
    assert (log.by, log.source_state, log.state) == (None, S.UNDER_REVIEW, S.UNDER_REVIEW)
    flagged = reload(reviewed)
    assert flagged.decision_overdue
    titles = [(step.party, step.title) for step in timeline(flagged, messages=[])]
    assert ("system", "The platform's decision is overdue") in titles


def test_under_review_the_deadline_that_matters_is_the_decision(reviewed, reviewer, store):
    assert reviewed.due_at == reviewed.decision_due_at
    info = services.request_info(complaint=reviewed, actor=reviewer, party="merchant", question="?")
    assert reload(reviewed).due_at == info.due_at
    services.submit_info(complaint=reviewed, actor=store.owner, answer="见附件")
    assert reload(reviewed).due_at == reviewed.decision_due_at
