from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import services
from disputes.models import Complaint, Offer
from disputes.permissions import SYSTEM
from tests.disputes.conftest import assert_ledger_balanced
from tests.factories import ConsumerFactory, PlatformUserFactory

pytestmark = pytest.mark.django_db

ACTIONS = {
    "accept_claim": lambda c, actor: services.accept_claim(complaint=c, actor=actor),
    "refuse_claim": lambda c, actor: services.refuse_claim(
        complaint=c, actor=actor, reason="商品无质量问题"
    ),
    "make_offer": lambda c, actor: services.make_offer(
        complaint=c, actor=actor, refund=Decimal("50.00"), compensation_amount=Decimal("10.00")
    ),
    "accept_offer": lambda c, actor: services.accept_offer(complaint=c, actor=actor),
    "decline_offer": lambda c, actor: services.decline_offer(
        complaint=c, actor=actor, reason="太少了"
    ),
    "withdraw": lambda c, actor: services.withdraw_complaint(complaint=c, actor=actor),
    "escalate": lambda c, actor: services.escalate_complaint(complaint=c, actor=actor),
    "reopen": lambda c, actor: services.reopen_complaint(complaint=c, actor=actor),
}


@pytest.fixture
def actors(store, other_store, consumer):
    return {
        "consumer": consumer,
        "another consumer": ConsumerFactory(),
        "owner": store.owner,
        "staff": store.staff,
        "another store": other_store.owner,
        "reviewer": PlatformUserFactory(),
        "system": SYSTEM,
    }


def _refused_without_change(complaint, action, actor):
    before = (complaint.status, StateLog.objects.count(), Offer.objects.count())
    with pytest.raises(ValidationError):
        ACTIONS[action](complaint, actor)
    complaint.refresh_from_db()
    assert (complaint.status, StateLog.objects.count(), Offer.objects.count()) == before


# Who may act on a complaint the merchant has not answered yet.
FRESH = {
    "accept_claim": {"owner", "staff"},
    "refuse_claim": {"owner", "staff"},
    "make_offer": {"owner", "staff"},
    "withdraw": {"consumer"},
    "accept_offer": set(),
    "decline_offer": set(),
    "escalate": set(),
    "reopen": set(),
}


@pytest.mark.parametrize("action", FRESH)
@pytest.mark.parametrize(
    "who", ["consumer", "another consumer", "owner", "staff", "another store", "reviewer", "system"]
)
def test_who_may_act_on_a_fresh_complaint(complaint, actors, action, who):
    if who in FRESH[action]:
        ACTIONS[action](complaint, actors[who])
        assert StateLog.objects.filter(transition__isnull=False).exists()
    else:
        _refused_without_change(complaint, action, actors[who])


def test_the_merchant_accepting_the_claim_settles_it_for_the_claimed_amount(complaint, store):
    settled = services.accept_claim(complaint=complaint, actor=store.staff)
    assert settled.status == Complaint.Status.SETTLED
    assert settled.settled_amount == complaint.claimed_amount
    assert settled.closure_reason == Complaint.ClosureReason.SETTLED_CLAIM
    assert settled.reopen_until == pytest.approx(
        timezone.now() + timedelta(days=7), abs=timedelta(seconds=5)
    )
    log = StateLog.objects.get(transition="accept_claim")
    assert log.by == store.staff


def test_a_refusal_needs_a_reason_and_starts_the_7_day_clock(complaint, store):
    with pytest.raises(ValidationError, match="reason"):
        services.refuse_claim(complaint=complaint, actor=store.owner, reason="   ")
    refused = services.refuse_claim(complaint=complaint, actor=store.owner, reason="已按约定安装")
    assert refused.merchant_answer == "refused"
    assert refused.due_at == refused.lapses_at
    assert refused.lapses_at == pytest.approx(
        timezone.now() + timedelta(days=7), abs=timedelta(seconds=5)
    )
    assert StateLog.objects.get(transition="refuse").description == "已按约定安装"


def test_the_merchant_cannot_refuse_twice(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    _refused_without_change(complaint, "refuse_claim", store.staff)


def test_an_offer_gives_the_consumer_72_hours(complaint, store):
    offer = services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("100.00"),
        compensation_amount=Decimal("20.00"),
    )
    complaint.refresh_from_db()
    assert offer.expires_at == pytest.approx(
        timezone.now() + timedelta(hours=72), abs=timedelta(seconds=5)
    )
    assert complaint.due_at == offer.expires_at


@pytest.mark.parametrize(
    ("refund", "compensation"),
    [
        (Decimal("0"), Decimal("0")),
        (Decimal("199.01"), Decimal("0")),
        (Decimal("-1"), Decimal("5")),
        (Decimal("1.001"), Decimal("0")),
    ],
)
def test_a_malformed_offer_is_refused(complaint, store, refund, compensation):
    with pytest.raises(ValidationError):
        services.make_offer(
            complaint=complaint, actor=store.owner, refund=refund, compensation_amount=compensation
        )
    assert Offer.objects.count() == 0


def test_only_one_offer_is_open_at_a_time(complaint, store):
    ACTIONS["make_offer"](complaint, store.owner)
    _refused_without_change(complaint, "make_offer", store.staff)


@pytest.fixture
def offered(complaint, store):
    ACTIONS["make_offer"](complaint, store.owner)
    complaint.refresh_from_db()
    return complaint


OFFERED = {
    "accept_offer": {"consumer"},
    "decline_offer": {"consumer"},
    "withdraw": {"consumer"},
    "accept_claim": {"owner", "staff"},
    "make_offer": set(),
    "refuse_claim": set(),
    "escalate": set(),
}


@pytest.mark.parametrize("action", OFFERED)
@pytest.mark.parametrize(
    "who", ["consumer", "another consumer", "owner", "another store", "reviewer"]
)
def test_who_may_act_while_an_offer_is_open(offered, actors, action, who):
    if who in OFFERED[action]:
        ACTIONS[action](offered, actors[who])
    else:
        _refused_without_change(offered, action, actors[who])


def test_accepting_the_offer_settles_for_its_total(offered, consumer):
    settled = services.accept_offer(complaint=offered, actor=consumer)
    assert settled.settled_amount == Decimal("60.00")
    assert settled.closure_reason == Complaint.ClosureReason.SETTLED_OFFER
    assert Offer.objects.get().status == Offer.Status.ACCEPTED


def test_an_offer_cannot_be_accepted_after_it_expired(offered, consumer):
    with time_machine.travel(timezone.now() + timedelta(hours=72, seconds=1)):
        _refused_without_change(offered, "accept_offer", consumer)


def test_declining_lets_the_consumer_escalate_and_the_merchant_offer_again(
    offered, consumer, store
):
    services.decline_offer(complaint=offered, actor=consumer, reason="太少了")
    assert Offer.objects.get().status == Offer.Status.DECLINED
    ACTIONS["make_offer"](offered, store.owner)
    assert Offer.objects.filter(status=Offer.Status.OPEN).count() == 1
    services.decline_offer(complaint=offered, actor=consumer, reason="太少了")
    assert (
        services.escalate_complaint(complaint=offered, actor=consumer).status
        == Complaint.Status.UNDER_REVIEW
    )


@pytest.fixture
def settled(complaint, store):
    return services.accept_claim(complaint=complaint, actor=store.owner)


def test_nothing_but_reopening_happens_to_a_settled_complaint(settled, actors):
    for action in (
        "accept_claim",
        "refuse_claim",
        "make_offer",
        "withdraw",
        "escalate",
        "accept_offer",
    ):
        for who in ("consumer", "owner"):
            _refused_without_change(settled, action, actors[who])


@pytest.mark.parametrize(
    ("after", "allowed"),
    [(timedelta(days=7, seconds=-1), True), (timedelta(days=7, seconds=1), False)],
)
def test_an_unpaid_settlement_can_be_reported_for_7_days(settled, consumer, after, allowed):
    with time_machine.travel(settled.settled_at + after):
        if allowed:
            reopened = services.reopen_complaint(complaint=settled, actor=consumer)
            assert reopened.status == Complaint.Status.UNDER_REVIEW
            assert reopened.held_amount == Decimal("199.00")
            assert_ledger_balanced()
        else:
            _refused_without_change(settled, "reopen", consumer)


def test_only_the_consumer_reopens(settled, actors):
    for who in ("another consumer", "owner", "reviewer"):
        _refused_without_change(settled, "reopen", actors[who])


def test_a_withdrawn_complaint_is_final(complaint, actors):
    services.withdraw_complaint(complaint=complaint, actor=actors["consumer"])
    complaint.refresh_from_db()
    for action in ACTIONS:
        _refused_without_change(complaint, action, actors["consumer"])
        _refused_without_change(complaint, action, actors["owner"])
