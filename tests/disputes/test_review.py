"""The platform's half of the machine: who may take each transition, in which state.

The helpers at the top (no `test_` prefix) build complaints in every state of this half;
the other `test_*` files of the platform's half import them.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import roles
from deposits.models import DepositAccount, LedgerEntry
from disputes import selectors, services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint, DeadlinePolicy, Decision, InfoRequest
from disputes.permissions import SYSTEM
from tests.disputes.conftest import assert_ledger_balanced
from tests.factories import (
    PNG_BYTES,
    ConsumerFactory,
    DeadlinePolicyFactory,
    FinanceUserFactory,
    PlatformUserFactory,
)

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
S = Complaint.Status


# --- helpers shared by the platform's half ------------------------------------------------


def reviewer_user():
    return PlatformUserFactory(roles=[roles.REVIEWERS])


def senior_user():
    return PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS])


def png(name="v.png"):
    return SimpleUploadedFile(name, PNG_BYTES)


def reload(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def account_of(store) -> DepositAccount:
    return DepositAccount.objects.get(merchant=store.merchant)


def suggested_lines(complaint):
    return [
        services.LineInput(rule=line.rule, amount=line.amount)
        for line in selectors.suggestion_for(order=complaint.order, kind=complaint.kind)
    ]


def escalate(complaint, store, consumer) -> Complaint:
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    return services.escalate_complaint(complaint=complaint, actor=consumer)


def under_review(complaint, store, consumer, reviewer) -> Complaint:
    escalate(complaint, store, consumer)
    return services.take_case(complaint=complaint, actor=reviewer)


def decide(complaint, reviewer, *, route="deposit", lines=None, **extra) -> Decision:
    return services.decide_complaint(
        complaint=complaint,
        actor=reviewer,
        lines=suggested_lines(complaint) if lines is None else lines,
        reason_code=extra.pop("reason_code", "rule_broken"),
        reasoning=extra.pop("reasoning", "证据显示商品与描述不符。"),
        route=route,
        **extra,
    )


def reject(complaint, reviewer, *, malicious=False) -> Decision:
    return services.reject_complaint(
        complaint=complaint,
        actor=reviewer,
        reason_code="malicious" if malicious else "insufficient_evidence",
        reasoning="证据不足。",
        malicious=malicious,
    )


def low_threshold(amount="100.00"):
    """From now on awards above `amount` need approval (the other deadlines unchanged)."""
    return DeadlinePolicyFactory(
        effective_from=timezone.now() - SECOND, approval_threshold=Decimal(amount)
    )


def ledger_snapshot():
    return (LedgerEntry.objects.count(), StateLog.objects.count())


# --- the states ---------------------------------------------------------------------------


class World:
    """One complaint and everyone who might act on it."""

    def __init__(self, complaint, store, other_store, consumer):
        self.complaint = complaint
        self.store = store
        self.reviewer = reviewer_user()
        self.actors = {
            "consumer": consumer,
            "another consumer": ConsumerFactory(),
            "owner": store.owner,
            "staff": store.staff,
            "another store": other_store.owner,
            "reviewer": self.reviewer,
            "other reviewer": reviewer_user(),
            "senior": senior_user(),
            "finance": FinanceUserFactory(),
            "system": SYSTEM,
        }

    def build(self, state) -> Complaint:
        c, a = self.complaint, self.actors
        under_review(c, self.store, a["consumer"], self.reviewer)
        if state == "under_review":
            return reload(c)
        if state == "awaiting_info":
            services.request_info(complaint=c, actor=self.reviewer, party="merchant", question="?")
            return reload(c)
        if state == "awaiting_approval":
            low_threshold()
            decide(c, self.reviewer)
            return reload(c)
        if state == "awaiting_merchant_payment":
            decide(c, self.reviewer, route="merchant_first")
            return reload(c)
        if state == "rejected":
            reject(c, self.reviewer)
            return reload(c)
        decide(c, self.reviewer)
        if state == "paid":
            return reload(c)
        if state == "closed":
            process_due_complaints(reload(c).due_at)
            return reload(c)
        services.appeal_complaint(complaint=c, actor=a["consumer"], reason="赔少了。")
        if state == "under_appeal_ready":
            services.respond_to_appeal(complaint=c, actor=a["owner"], response="已足额。")
        return reload(c)


STATES = [
    "under_review",
    "awaiting_info",
    "awaiting_approval",
    "awaiting_merchant_payment",
    "paid",
    "rejected",
    "under_appeal",
    "under_appeal_ready",
    "closed",
]
ACTORS = [
    "consumer",
    "another consumer",
    "owner",
    "staff",
    "another store",
    "reviewer",
    "other reviewer",
    "senior",
    "finance",
    "system",
]
REVIEWERS = {"reviewer", "other reviewer", "senior"}
PARTIES = {"consumer", "owner", "staff"}
MERCHANT = {"owner", "staff"}

ACTIONS = {
    "take": lambda c, actor: services.take_case(complaint=c, actor=actor),
    "request_info": lambda c, actor: services.request_info(
        complaint=c, actor=actor, party="consumer", question="请提供照片。"
    ),
    "submit_info": lambda c, actor: services.submit_info(complaint=c, actor=actor, answer="见附件"),
    "withdraw": lambda c, actor: services.withdraw_complaint(complaint=c, actor=actor),
    "decide": lambda c, actor: decide(c, actor),
    "decide_pay_first": lambda c, actor: decide(c, actor, route="merchant_first"),
    "approve": lambda c, actor: services.approve_decision(complaint=c, actor=actor),
    "send_back": lambda c, actor: services.send_back_decision(
        complaint=c, actor=actor, reason="金额需复核。"
    ),
    "reject": lambda c, actor: reject(c, actor),
    "reject_malicious": lambda c, actor: reject(c, actor, malicious=True),
    "confirm_payment": lambda c, actor: services.confirm_merchant_payment(
        complaint=c, actor=actor, proof_files=[png()]
    ),
    "appeal": lambda c, actor: services.appeal_complaint(
        complaint=c, actor=actor, reason="新证据。"
    ),
    "respond_to_appeal": lambda c, actor: services.respond_to_appeal(
        complaint=c, actor=actor, response="不同意申诉。"
    ),
    "resolve_appeal": lambda c, actor: services.resolve_appeal(
        complaint=c, actor=actor, outcome="upheld", resolution="维持原裁决。"
    ),
}

# Who may take each action in each state; every other pair is refused.
ALLOWED = {
    "under_review": {
        "take": REVIEWERS - {"reviewer"},  # the reviewer has it already
        "request_info": {"reviewer"},
        "withdraw": {"consumer"},
        "decide": {"reviewer"},
        "decide_pay_first": {"reviewer"},
        "reject": {"reviewer"},
        "reject_malicious": {"reviewer"},
    },
    "awaiting_info": {
        "take": REVIEWERS - {"reviewer"},
        "request_info": {"reviewer"},  # the consumer has no open request yet
        "submit_info": MERCHANT,  # the merchant was asked
        "withdraw": {"consumer"},
    },
    "awaiting_approval": {
        "approve": {"senior"},  # the reviewer decided: four eyes
        "send_back": {"senior"},
    },
    "awaiting_merchant_payment": {"confirm_payment": MERCHANT},
    "paid": {"appeal": PARTIES},
    "rejected": {"appeal": PARTIES},
    "under_appeal": {"respond_to_appeal": MERCHANT},  # the consumer appealed
    "under_appeal_ready": {"resolve_appeal": {"senior"}},
    "closed": {},
}


@pytest.fixture
def world(complaint, store, other_store, consumer):
    return World(complaint, store, other_store, consumer)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_who_may_take_each_transition_of_the_platforms_half(world, state, action, who):
    complaint = world.build(state)
    before_status = complaint.status
    before = ledger_snapshot()
    if who in ALLOWED[state].get(action, set()):
        ACTIONS[action](complaint, world.actors[who])
        assert StateLog.objects.count() > before[1] or action in (
            "respond_to_appeal",
            "submit_info",
        )
        assert_ledger_balanced()
    else:
        with pytest.raises(ValidationError):
            ACTIONS[action](complaint, world.actors[who])
        assert reload(complaint).status == before_status
        assert ledger_snapshot() == before


# --- taking the case and asking for information -------------------------------------------


def test_any_reviewer_takes_an_escalated_case_and_becomes_its_reviewer(complaint, store, consumer):
    escalate(complaint, store, consumer)
    first, second = reviewer_user(), reviewer_user()
    taken = services.take_case(complaint=complaint, actor=first)
    assert (taken.status, taken.assigned_reviewer) == (S.UNDER_REVIEW, first)
    retaken = services.take_case(complaint=complaint, actor=second)
    assert retaken.assigned_reviewer == second
    with pytest.raises(ValidationError):
        decide(complaint, first)  # no longer the case's reviewer


def test_taking_a_case_waiting_for_information_keeps_it_waiting(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="?")
    other = reviewer_user()
    taken = services.take_case(complaint=complaint, actor=other)
    assert (taken.status, taken.assigned_reviewer) == (S.AWAITING_INFO, other)


def test_a_merchant_silent_case_escalated_by_the_deadline_can_be_taken(complaint):
    process_due_complaints(complaint.due_at)
    reviewer = reviewer_user()
    assert services.take_case(complaint=complaint, actor=reviewer).assigned_reviewer == reviewer


def test_an_information_request_waits_72_hours_for_the_party(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with time_machine.travel(timezone.now(), tick=False):
        info = services.request_info(
            complaint=complaint, actor=reviewer, party="consumer", question="请提供照片。"
        )
        assert info.due_at == timezone.now() + timedelta(hours=72)
    waiting = reload(complaint)
    assert (waiting.status, waiting.due_at) == (S.AWAITING_INFO, info.due_at)


def test_one_open_request_per_party(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="1")
    with pytest.raises(ValidationError) as error:
        services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="2")
    assert error.value.code == "open_request"
    services.request_info(complaint=complaint, actor=reviewer, party="merchant", question="3")
    assert InfoRequest.objects.filter(complaint=complaint).count() == 2


def test_a_request_to_nobody_is_refused(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError):
        services.request_info(complaint=complaint, actor=reviewer, party="platform", question="?")
    assert reload(complaint).status == S.UNDER_REVIEW


def test_the_second_request_keeps_the_earlier_deadline(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    first = services.request_info(
        complaint=complaint, actor=reviewer, party="consumer", question="1"
    )
    with time_machine.travel(timezone.now() + timedelta(hours=10)):
        services.request_info(complaint=complaint, actor=reviewer, party="merchant", question="2")
    assert reload(complaint).due_at == first.due_at


def test_review_resumes_only_when_every_request_is_answered(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="1")
    merchant_request = services.request_info(
        complaint=complaint, actor=reviewer, party="merchant", question="2"
    )
    answered = services.submit_info(
        complaint=complaint, actor=consumer, answer="照片见附件", files=[png()]
    )
    assert answered.answered_by == consumer
    waiting = reload(complaint)
    assert (waiting.status, waiting.due_at) == (S.AWAITING_INFO, merchant_request.due_at)
    assert waiting.evidence.filter(party="consumer").count() == 1
    services.submit_info(complaint=complaint, actor=store.staff, answer="已发货记录")
    resumed = reload(complaint)
    assert (resumed.status, resumed.due_at, resumed.info_lapsed) == (
        S.UNDER_REVIEW,
        resumed.decision_due_at,
        False,
    )


def test_a_party_without_an_open_request_cannot_answer(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    services.request_info(complaint=complaint, actor=reviewer, party="merchant", question="?")
    with pytest.raises(ValidationError):
        services.submit_info(complaint=complaint, actor=consumer, answer="我来回答")
    services.submit_info(complaint=complaint, actor=store.owner, answer="答复")
    with pytest.raises(ValidationError):
        services.submit_info(complaint=complaint, actor=store.owner, answer="再答一次")


def test_an_answer_after_the_request_deadline_is_refused(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    info = services.request_info(
        complaint=complaint, actor=reviewer, party="consumer", question="?"
    )
    with time_machine.travel(info.due_at - SECOND, tick=False):
        services.submit_info(complaint=complaint, actor=consumer, answer="及时")
    services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="??")
    late = InfoRequest.objects.get(complaint=complaint, answered_at__isnull=True)
    with time_machine.travel(late.due_at, tick=False), pytest.raises(ValidationError):
        services.submit_info(complaint=complaint, actor=consumer, answer="迟了")
    assert reload(complaint).status == S.AWAITING_INFO


# --- withdrawing during review ----------------------------------------------------------


@pytest.mark.parametrize("waiting_for_info", [False, True])
def test_withdrawing_during_review_releases_the_hold(complaint, store, consumer, waiting_for_info):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    if waiting_for_info:
        services.request_info(complaint=complaint, actor=reviewer, party="consumer", question="?")
    assert account_of(store).held == Decimal("199.00")
    withdrawn = services.withdraw_complaint(complaint=complaint, actor=consumer)
    assert (withdrawn.status, withdrawn.held_amount, withdrawn.due_at) == (
        S.WITHDRAWN,
        Decimal("0"),
        None,
    )
    account = account_of(store)
    assert (account.held, account.balance) == (Decimal("0"), Decimal("50000.00"))
    assert LedgerEntry.objects.filter(kind="release").count() == 1
    assert_ledger_balanced()
    # Nothing waits on a withdrawn complaint any more.
    assert process_due_complaints(timezone.now() + timedelta(days=30)) == 0


def test_the_merchant_cannot_withdraw_the_consumers_complaint(complaint, store, consumer):
    under_review(complaint, store, consumer, reviewer_user())
    with pytest.raises(ValidationError):
        services.withdraw_complaint(complaint=complaint, actor=store.owner)
    assert account_of(store).held == Decimal("199.00")


def test_a_policy_change_keeps_the_default_threshold_of_this_half():
    assert DeadlinePolicy().approval_threshold == Decimal("5000.00")
