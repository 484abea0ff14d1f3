"""The console's landing page: what waits for each platform role, and the way to it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from console import queues
from deposits import services as ledger
from deposits.destinations import Destination
from disputes.models import Appeal, Complaint, Decision, InfoRequest
from merchants.models import Merchant
from tests.factories import (
    ComplaintFactory,
    DepositAccountFactory,
    FinanceUserFactory,
    PlatformUserFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Complaint.Status
CONSOLE = reverse("admin:index")
LIST = reverse("admin:disputes_complaint_changelist")


def case(status, *, due_in_hours=48, **fields) -> Complaint:
    """A complaint in a state, its fields set as the services would have left them."""
    complaint = ComplaintFactory()
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, due_at=timezone.now() + timedelta(hours=due_in_hours), **fields
    )
    return Complaint.objects.get(pk=complaint.pk)


def decision(complaint, *, by, status=Decision.Status.FINAL, approved_by=None) -> Decision:
    return Decision.objects.create(
        complaint=complaint,
        outcome=Decision.Outcome.UPHELD,
        reason_code=Decision.ReasonCode.RULE_BROKEN,
        reasoning="证据充分。",
        decided_by=by,
        status=status,
        approved_by=approved_by,
    )


def appeal(complaint, *, answered: bool) -> Appeal:
    return Appeal.objects.create(
        complaint=complaint,
        party="merchant",
        appellant=complaint.merchant.members.first().user
        if complaint.merchant.members.exists()
        else complaint.consumer,
        reason="不服。",
        response_due_at=timezone.now() + timedelta(days=1),
        responded_at=timezone.now() if answered else None,
    )


def counts(user) -> dict[str, int]:
    return {
        waiting.queue.key: waiting.count
        for section in queues.sections_for(user)
        for waiting in section.waiting
    }


def listed(client, key) -> set[int]:
    page = client.get(LIST, {"queue": key})
    assert page.status_code == 200
    return {int(pk) for pk in re.findall(r"/admin/disputes/complaint/(\d+)/change/", page.text)}


# --- the reviewer ---


@pytest.fixture
def reviewer_world():
    me, colleague = PlatformUserFactory(), PlatformUserFactory()
    world = {
        "untaken": [
            case(Status.UNDER_REVIEW, due_in_hours=30),
            case(Status.UNDER_REVIEW, due_in_hours=10),
            case(Status.AWAITING_INFO, due_in_hours=20),
        ],
        "mine": [
            case(Status.UNDER_REVIEW, assigned_reviewer=me),
            case(Status.AWAITING_INFO, assigned_reviewer=me),
            case(Status.AWAITING_APPROVAL, assigned_reviewer=me),
            case(Status.UNDER_REVIEW, assigned_reviewer=me, decision_overdue=True, due_in_hours=-5),
        ],
    }
    answered, sent_back = world["mine"][0], world["mine"][3]
    InfoRequest.objects.create(
        complaint=answered,
        party="consumer",
        question="请补充照片。",
        asked_by=me,
        due_at=timezone.now(),
        answer="已补充。",
        answered_at=timezone.now(),
    )
    decision(sent_back, by=me, status=Decision.Status.SENT_BACK)
    # None of these is the reviewer's work.
    case(Status.UNDER_REVIEW, assigned_reviewer=colleague, decision_overdue=True)
    case(Status.NEGOTIATING)
    case(Status.CLOSED, assigned_reviewer=me, decision_overdue=True)
    other_answered = case(Status.UNDER_REVIEW, assigned_reviewer=colleague)
    InfoRequest.objects.create(
        complaint=other_answered,
        party="merchant",
        question="?",
        asked_by=colleague,
        due_at=timezone.now(),
        lapsed_at=timezone.now(),
    )
    return me, world


def test_a_reviewer_sees_each_of_their_queues_counted(reviewer_world):
    me, _world = reviewer_world
    assert counts(me) == {
        "untaken": 3,
        "mine": 4,
        "answered": 1,
        "sent-back": 1,
        "my-overdue": 1,
    }


def test_each_count_links_to_a_list_of_exactly_those_cases(client, reviewer_world):
    me, world = reviewer_world
    client.force_login(me)
    assert listed(client, "untaken") == {c.pk for c in world["untaken"]}
    assert listed(client, "mine") == {c.pk for c in world["mine"]}
    assert listed(client, "answered") == {world["mine"][0].pk}
    assert listed(client, "sent-back") == {world["mine"][3].pk}
    assert listed(client, "my-overdue") == {world["mine"][3].pk}


def test_the_first_in_a_queue_is_the_one_due_first(reviewer_world):
    me, world = reviewer_world
    [reviewing] = [s for s in queues.sections_for(me) if s.may_take_next]
    untaken = reviewing.waiting[0]
    due_first = world["untaken"][1]
    assert untaken.next_url == reverse("admin:disputes_complaint_change", args=[due_first.pk])
    assert untaken.next_due == due_first.due_at


def test_the_landing_page_shows_the_counts_late_work_in_red_and_the_take_next_button(
    client, reviewer_world
):
    me, _world = reviewer_world
    client.force_login(me)
    page = client.get(CONSOLE).content.decode()
    assert "Escalations no reviewer has taken" in page
    assert f'href="{LIST}?queue=untaken">3</a>' in page
    assert '<tr class="late">' in page  # my overdue case
    assert reverse("admin:disputes_complaint_take_next") in page
    assert "Approvals and appeals" not in page and "Payouts to send" not in page


def test_a_count_stops_at_one_hundred_and_says_more():
    reviewer = PlatformUserFactory()
    for complaint in ComplaintFactory.create_batch(101):
        Complaint.objects.filter(pk=complaint.pk).update(status=Status.UNDER_REVIEW)
    [untaken] = [w for w in queues.sections_for(reviewer)[0].waiting if w.queue.key == "untaken"]
    assert (untaken.count, untaken.more) == (100, True)


def test_the_landing_page_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    client.get(CONSOLE)
    with django_assert_max_num_queries(30) as few:
        client.get(CONSOLE)
    for _ in range(20):
        Complaint.objects.filter(pk=ComplaintFactory().pk).update(status=Status.UNDER_REVIEW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(CONSOLE)


# --- the senior reviewer ---


def test_a_senior_never_sees_their_own_award_or_an_appeal_they_took_part_in():
    senior, other_senior, reviewer = (
        SeniorReviewerFactory(),
        SeniorReviewerFactory(),
        PlatformUserFactory(),
    )
    by_reviewer = case(Status.AWAITING_APPROVAL, assigned_reviewer=reviewer)
    decision(by_reviewer, by=reviewer, status=Decision.Status.PENDING_APPROVAL)
    by_me = case(Status.AWAITING_APPROVAL, assigned_reviewer=senior)
    decision(by_me, by=senior, status=Decision.Status.PENDING_APPROVAL)

    ready = case(Status.UNDER_APPEAL)
    decision(ready, by=reviewer, approved_by=other_senior)
    appeal(ready, answered=True)
    approved_by_me = case(Status.UNDER_APPEAL)
    decision(approved_by_me, by=reviewer, approved_by=senior)
    appeal(approved_by_me, answered=True)
    decided_by_me = case(Status.UNDER_APPEAL)
    decision(decided_by_me, by=senior)
    appeal(decided_by_me, answered=True)
    waiting_for_response = case(Status.UNDER_APPEAL)
    decision(waiting_for_response, by=reviewer)
    appeal(waiting_for_response, answered=False)
    case(Status.UNDER_REVIEW, assigned_reviewer=reviewer, decision_overdue=True)
    case(Status.AWAITING_INFO, decision_overdue=True)

    assert counts(senior) == {"to-approve": 1, "appeals": 1, "team-overdue": 2}
    assert counts(other_senior) == {"to-approve": 2, "appeals": 2, "team-overdue": 2}


# --- finance ---


def test_finance_sees_payouts_to_send_retry_and_awaiting_top_up_notices_and_exit_refunds(client):
    clerk = FinanceUserFactory()
    consumer = UserFactory()
    paying = DepositAccountFactory(paid_in=Decimal("100000.00"))
    payouts = [
        ledger.pay_out(
            account=paying,
            reference=f"TS{n}",
            amount=Decimal("10.00"),
            payee=consumer,
            destination=Destination.of(method="alipay", number="buyer@example.com"),
            idempotency_key=f"payout-{n}",
        ).disbursement
        for n in range(5)
    ]
    ledger.mark_disbursement_failed(disbursement=payouts[0], reason="账号错误", actor=clerk)
    ledger.mark_disbursement_sent(disbursement=payouts[1], external_reference="AP1", actor=clerk)
    waiting = ledger.pay_out(
        account=paying,
        reference="TS9",
        amount=Decimal("10.00"),
        payee=consumer,
        destination=None,
        account_due_at=timezone.now() + timedelta(days=7),
        idempotency_key="payout-waiting",
    ).disbursement
    noticed = DepositAccountFactory(paid_in=Decimal("1000.00"))
    noticed.top_up_due_by = timezone.now() + timedelta(days=10)
    noticed.top_up_amount_due = Decimal("100.00")
    noticed.save()
    long_gone, recently_gone = (
        DepositAccountFactory(paid_in=Decimal("5000.00")),
        DepositAccountFactory(paid_in=Decimal("5000.00")),
    )
    for account, days in ((long_gone, 31), (recently_gone, 5)):
        Merchant.objects.filter(pk=account.merchant_id).update(status=Merchant.Status.CLOSING)
        account.closing_requested_at = timezone.now() - timedelta(days=days)
        account.save()

    assert counts(clerk) == {
        "to-send": 3,
        "failed": 1,
        "awaiting-account": 1,
        "top-up": 1,
        "exit": 1,
    }
    [awaiting] = [
        w for w in queues.sections_for(clerk)[0].waiting if w.queue.key == "awaiting-account"
    ]
    assert awaiting.next_due == waiting.account_due_at
    client.force_login(clerk)
    exits = client.get(reverse("admin:deposits_depositaccount_changelist"), {"exit": "due"})
    assert long_gone.merchant.name in exits.text
    assert recently_gone.merchant.name not in exits.text


def test_each_role_sees_only_its_own_sections_and_a_superuser_all():
    titles = {
        "reviewer": PlatformUserFactory(),
        "senior": SeniorReviewerFactory(),
        "finance": FinanceUserFactory(),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }
    shown = {who: [str(s.title) for s in queues.sections_for(u)] for who, u in titles.items()}
    assert shown == {
        "reviewer": ["Reviewing"],
        "senior": ["Approvals and appeals"],
        "finance": ["Payouts and deposits"],
        "superuser": ["Reviewing", "Approvals and appeals", "Payouts and deposits"],
    }


def test_a_queue_of_another_role_filters_nothing(client):
    finance = FinanceUserFactory()
    mine = case(Status.UNDER_REVIEW, assigned_reviewer=finance)
    other = case(Status.UNDER_REVIEW)
    client.force_login(finance)
    assert listed(client, "mine") == {mine.pk, other.pk}
