"""Where the rules meet: one line per rule, caps shared between complaints that count what
was paid or settled (plus what open complaints reserve), and appeal revisions under the
same limits as a first decision."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deposits import services as ledger
from deposits.models import Disbursement
from disputes import selectors, services
from disputes.models import AwardLine, CompensationRule, Complaint, Decision
from tests.disputes.conftest import assert_ledger_balanced
from tests.disputes.test_review import (
    account_of,
    decide,
    png,
    reject,
    reload,
    reviewer_user,
    senior_user,
    under_review,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

D = Decimal
S = Complaint.Status


def line(rule, amount):
    return services.LineInput(rule=rule, amount=D(amount))


def late_order(store, consumer, goods, *, hours_later=0):
    """An order shipped 60 h after payment (late), paid `hours_later` after the first."""
    paid = timezone.now() - timedelta(days=8) + timedelta(hours=hours_later)
    return OrderFactory(
        merchant=store.merchant,
        consumer=consumer,
        goods_amount=D(goods),
        postage=D("0.00"),
        paid_at=paid,
        shipped_at=paid + timedelta(hours=60),
        delivered_at=paid + timedelta(days=3),
        completed_at=paid + timedelta(days=5),
    )


def file_on(order, kind, claimed, **extra):
    return services.file_complaint(
        order=order,
        consumer=order.consumer,
        kind=kind,
        description="投诉。",
        claimed_amount=D(claimed),
        **extra,
    )


def suggested(order, kind):
    return {s.rule: s.amount for s in selectors.suggestion_for(order=order, kind=kind)}


def pay(complaint, store, consumer, lines, reduction_reason="部分证实。"):
    """Escalate, take and decide from the deposit with these lines."""
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer, lines=lines, reduction_reason=reduction_reason)
    return reviewer


def ready_appeal(complaint, store, consumer):
    services.appeal_complaint(complaint=complaint, actor=consumer, reason="应当赔更多。")
    services.respond_to_appeal(complaint=complaint, actor=store.owner, response="不同意。")


def raise_on_appeal(complaint, lines):
    return services.resolve_appeal(
        complaint=complaint,
        actor=senior_user(),
        outcome="revised_up",
        resolution="复核后加赔。",
        lines=lines,
    )


# --- 1. one line per rule, each at most its suggestion -------------------------------------


def test_a_decision_cannot_give_one_rule_twice(file, store, consumer):
    counterfeit = file(kind="counterfeit", claimed_amount=D("995.00"))
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    balance = account_of(store).balance
    with pytest.raises(ValidationError, match="The refund is given twice") as error:
        decide(
            counterfeit,
            reviewer,
            lines=[
                line("counterfeit.refund", "199.00"),
                line("counterfeit.refund", "199.00"),
                line("counterfeit.multiple", "796.00"),
            ],
        )
    assert error.value.code == "repeated_rule"
    assert not Decision.objects.exists()
    assert account_of(store).balance == balance
    assert reload(counterfeit).status == S.UNDER_REVIEW


def test_a_line_above_its_rule_is_refused_in_the_users_terms(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError) as error:
        decide(
            complaint,
            reviewer,
            lines=[
                line("description_mismatch.refund", "199.01"),
                line("description_mismatch.shipping", "10.00"),
            ],
        )
    assert error.value.messages == ["The refund can be at most ¥199.00."]


def test_a_decision_refuses_a_rule_of_another_kind(complaint, store, consumer):
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    with pytest.raises(ValidationError) as error:
        decide(complaint, reviewer, lines=[line("counterfeit.multiple", "796.00")])
    assert error.value.code == "unknown_rule"


# --- 2. the late-shipping ¥500 shared by orders paid within 24 h ---------------------------


def test_an_open_late_shipping_claim_reserves_its_suggestion(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "1000.00", hours_later=3)
    file_on(first, "late_shipping", "500.00")
    with pytest.raises(ValidationError) as error:
        file_on(second, "late_shipping", "5.00")
    assert error.value.code == "nothing_left"


def test_a_rejected_late_shipping_sibling_counts_nothing(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    rejected = file_on(first, "late_shipping", "500.00")
    reviewer = reviewer_user()
    under_review(rejected, store, consumer, reviewer)
    reject(rejected, reviewer)
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("500.00")}
    assert file_on(second, "late_shipping", "500.00").suggested_amount == D("500.00")


@pytest.mark.parametrize("ending", ["withdrawn", "lapsed"])
def test_a_withdrawn_or_lapsed_late_shipping_sibling_counts_nothing(store, consumer, ending):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "500.00")
    if ending == "withdrawn":
        services.withdraw_complaint(complaint=sibling, actor=consumer)
    else:
        services.refuse_claim(complaint=sibling, actor=store.owner, reason="不同意")
        services.lapse_complaint(complaint=sibling, now=reload(sibling).lapses_at)
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("500.00")}


def test_a_late_shipping_sibling_settled_for_less_counts_what_it_settled(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "500.00")
    services.make_offer(
        complaint=sibling, actor=store.owner, refund=D("0"), compensation_amount=D("120.00")
    )
    services.accept_offer(complaint=sibling, actor=consumer)
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("380.00")}


def test_a_late_shipping_sibling_paid_less_counts_what_it_was_paid(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "500.00")
    pay(sibling, store, consumer, [line("late_shipping.rate", "150.00")])
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("350.00")}


def test_an_escalated_late_shipping_sibling_counts_its_hold(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "200.00")
    services.refuse_claim(complaint=sibling, actor=store.owner, reason="不同意")
    services.escalate_complaint(complaint=sibling, actor=consumer)
    assert reload(sibling).held_amount == D("200.00")
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("300.00")}


def test_a_decision_uses_the_cap_a_rejected_sibling_left(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "300.00")
    reviewer = reviewer_user()
    under_review(sibling, store, consumer, reviewer)
    later = file_on(second, "late_shipping", "200.00")
    assert later.suggested_amount == D("200.00")
    reject(sibling, reviewer)
    pay(later, store, consumer, [line("late_shipping.rate", "500.00")], reduction_reason="")
    assert Decision.objects.get(complaint=later).paid_total == D("500.00")


def test_a_decision_never_takes_the_group_past_its_maximum(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "100.00")
    reviewer = reviewer_user()
    under_review(sibling, store, consumer, reviewer)
    later = file_on(second, "late_shipping", "100.00")
    assert later.suggested_amount == D("400.00")
    under_review(later, store, consumer, reviewer)  # it now reserves its ¥100 claim
    decide(sibling, reviewer, lines=[line("late_shipping.rate", "400.00")])
    with pytest.raises(ValidationError) as error:
        decide(later, reviewer, lines=[line("late_shipping.rate", "101.00")])
    assert error.value.messages == ["The compensation can be at most ¥100.00."]


def test_orders_paid_more_than_24_hours_apart_do_not_share_the_maximum(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=24)
    file_on(first, "late_shipping", "500.00")
    assert suggested(second, "late_shipping") == {"late_shipping.rate": D("500.00")}


def test_a_late_shipping_offer_cannot_pass_the_shared_maximum(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    sibling = file_on(first, "late_shipping", "300.00")
    pay(sibling, store, consumer, [line("late_shipping.rate", "300.00")])
    later = file_on(second, "late_shipping", "200.00")
    with pytest.raises(ValidationError) as error:
        services.make_offer(
            complaint=later, actor=store.owner, refund=D("0"), compensation_amount=D("250.00")
        )
    assert error.value.code == "late_shipping_cap"
    services.make_offer(
        complaint=later, actor=store.owner, refund=D("0"), compensation_amount=D("200.00")
    )


# --- 3. the refunds of one order never exceed what was paid --------------------------------


def test_a_rejected_claim_no_longer_blocks_a_refund_on_the_same_order(file, store, consumer):
    counterfeit = file(kind="counterfeit", claimed_amount=D("995.00"))
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    reject(counterfeit, reviewer)
    mismatch = file(kind="description_mismatch", claimed_amount=D("209.00"))
    assert mismatch.suggested_refund == D("199.00")


def test_a_refund_settled_on_one_complaint_limits_the_award_on_another(
    file, order, store, consumer
):
    mismatch = file(kind="description_mismatch", claimed_amount=D("150.00"))
    services.make_offer(
        complaint=mismatch, actor=store.owner, refund=D("150.00"), compensation_amount=D("0")
    )
    services.accept_offer(complaint=mismatch, actor=consumer)
    counterfeit = file(kind="counterfeit", claimed_amount=D("845.00"))
    assert counterfeit.suggested_refund == D("49.00")
    reviewer = reviewer_user()
    under_review(counterfeit, store, consumer, reviewer)
    with pytest.raises(ValidationError) as error:
        decide(
            counterfeit,
            reviewer,
            lines=[line("counterfeit.refund", "199.00"), line("counterfeit.multiple", "796.00")],
        )
    assert error.value.messages == ["The refund can be at most ¥49.00."]
    decide(
        counterfeit,
        reviewer,
        lines=[line("counterfeit.refund", "49.00"), line("counterfeit.multiple", "796.00")],
    )
    assert Decision.objects.get(complaint=counterfeit).paid_total == D("845.00")


def test_a_refund_paid_by_an_award_counts_against_a_later_offer(file, store, consumer):
    mismatch = file(kind="description_mismatch", claimed_amount=D("209.00"))
    counterfeit = file(kind="counterfeit", claimed_amount=D("796.00"))
    assert counterfeit.suggested_refund == D("0")
    pay(mismatch, store, consumer, [line("description_mismatch.refund", "120.00")])
    with pytest.raises(ValidationError) as error:
        services.make_offer(
            complaint=counterfeit,
            actor=store.owner,
            refund=D("80.00"),
            compensation_amount=D("100.00"),
        )
    assert error.value.code == "refund_total"
    services.make_offer(
        complaint=counterfeit, actor=store.owner, refund=D("79.00"), compensation_amount=D("0")
    )


def test_refunds_the_marketplace_made_count_too(store, consumer):
    paid = timezone.now() - timedelta(days=8)
    order = OrderFactory(
        merchant=store.merchant,
        consumer=consumer,
        goods_amount=D("199.00"),
        refunded_amount=D("99.00"),
        paid_at=paid,
        completed_at=paid + timedelta(days=5),
    )
    complaint = file_on(order, "description_mismatch", "100.00")
    assert complaint.suggested_refund == D("100.00")


# --- 4. an appeal revises under the rules of a first decision ------------------------------


def test_a_late_shipping_award_cannot_be_raised_past_its_cap(store, consumer):
    order = late_order(store, consumer, "2000.00")
    complaint = file_on(order, "late_shipping", "500.00")
    pay(complaint, store, consumer, [line("late_shipping.rate", "100.00")])
    ready_appeal(complaint, store, consumer)
    with pytest.raises(ValidationError) as error:
        raise_on_appeal(complaint, [line("late_shipping.rate", "2500.00")])
    assert error.value.messages == ["The compensation can be at most ¥500.00."]
    appeal = raise_on_appeal(complaint, [line("late_shipping.rate", "500.00")])
    assert appeal.lines.get().paid_amount == D("400.00")
    assert_ledger_balanced()


def test_a_raise_counts_what_the_late_shipping_siblings_were_paid(store, consumer):
    first = late_order(store, consumer, "2000.00")
    second = late_order(store, consumer, "2000.00", hours_later=3)
    complaint = file_on(first, "late_shipping", "300.00")
    pay(complaint, store, consumer, [line("late_shipping.rate", "100.00")])
    sibling = file_on(second, "late_shipping", "400.00")
    pay(sibling, store, consumer, [line("late_shipping.rate", "300.00")])
    ready_appeal(complaint, store, consumer)
    with pytest.raises(ValidationError, match=re.escape("at most ¥200.00")):
        raise_on_appeal(complaint, [line("late_shipping.rate", "300.00")])


def test_a_refund_cannot_be_raised_past_what_was_paid(store, consumer, order):
    complaint = file_on(
        order,
        "seven_day_return",
        "100.00",
        return_requested_at=order.delivered_at + timedelta(hours=2),
    )
    pay(complaint, store, consumer, [line("seven_day_return.refund", "100.00")])
    ready_appeal(complaint, store, consumer)
    with pytest.raises(ValidationError) as error:
        raise_on_appeal(complaint, [line("seven_day_return.refund", "300.00")])
    assert error.value.messages == ["The refund can be at most ¥199.00."]
    with pytest.raises(ValidationError, match="given twice"):
        raise_on_appeal(
            complaint,
            [line("seven_day_return.refund", "150.00"), line("seven_day_return.refund", "49.00")],
        )
    raise_on_appeal(complaint, [line("seven_day_return.refund", "199.00")])
    assert Disbursement.objects.order_by("id").last().amount == D("99.00")


def test_a_raised_multiple_stays_capped_at_what_the_deposit_has_available(file, store, consumer):
    counterfeit = file(kind="counterfeit", claimed_amount=D("299.00"))
    pay(
        counterfeit,
        store,
        consumer,
        [line("counterfeit.refund", "199.00"), line("counterfeit.multiple", "100.00")],
    )
    ledger.hold(
        account=account_of(store),
        amount=account_of(store).available - D("50.00"),
        reference="complaint:OTHER",
        idempotency_key="other-hold",
    )
    ready_appeal(counterfeit, store, consumer)
    appeal = raise_on_appeal(
        counterfeit,
        [line("counterfeit.refund", "199.00"), line("counterfeit.multiple", "796.00")],
    )
    raised = appeal.lines.get()
    assert (raised.rule, raised.capped, raised.amount, raised.paid_amount) == (
        "counterfeit.multiple",
        True,
        D("696.00"),
        D("50.00"),
    )
    account = account_of(store)
    assert account.arrears == 0  # never advanced by the platform
    assert account.available == 0
    assert_ledger_balanced()


def test_a_raised_multiple_on_an_empty_deposit_pays_nothing_and_still_closes(file, store, consumer):
    counterfeit = file(kind="counterfeit", claimed_amount=D("299.00"))
    pay(
        counterfeit,
        store,
        consumer,
        [line("counterfeit.refund", "199.00"), line("counterfeit.multiple", "100.00")],
    )
    ledger.hold(
        account=account_of(store),
        amount=account_of(store).available,
        reference="complaint:OTHER",
        idempotency_key="other-hold",
    )
    disbursements = Disbursement.objects.count()
    ready_appeal(counterfeit, store, consumer)
    appeal = raise_on_appeal(
        counterfeit,
        [line("counterfeit.refund", "199.00"), line("counterfeit.multiple", "796.00")],
    )
    assert appeal.lines.get().paid_amount == 0
    assert Disbursement.objects.count() == disbursements
    assert reload(counterfeit).status == S.CLOSED
    assert_ledger_balanced()


def test_the_multiple_may_stand_alone_when_the_refund_was_made_elsewhere(file, store, consumer):
    mismatch = file(kind="description_mismatch", claimed_amount=D("209.00"))
    pay(mismatch, store, consumer, [line("description_mismatch.refund", "199.00")])
    counterfeit = file(kind="counterfeit", claimed_amount=D("796.00"))
    pay(counterfeit, store, consumer, [line("counterfeit.multiple", "796.00")], "")
    assert Decision.objects.get(complaint=counterfeit).paid_total == D("796.00")
    assert_ledger_balanced()


# --- declared return shipping -------------------------------------------------------------


def test_declared_return_shipping_is_at_most_the_rules_maximum(file):
    with pytest.raises(ValidationError) as error:
        file(return_shipping=D("200.01"), claimed_amount=D("100.00"))
    assert error.value.messages == ["Return shipping can be at most ¥200.00."]
    assert file(return_shipping=D("200.00"), claimed_amount=D("409.00")).pk


def test_the_return_shipping_maximum_is_the_one_in_force_at_payment(file, order):
    CompensationRule.objects.create(
        effective_from=order.paid_at - timedelta(days=1), return_shipping_maximum=D("30.00")
    )
    with pytest.raises(ValidationError, match=re.escape("at most ¥30.00")):
        file(return_shipping=D("30.01"))


def test_return_shipping_is_awarded_only_with_a_receipt_among_the_evidence(file, store, consumer):
    complaint = file(return_shipping=D("25.00"), claimed_amount=D("234.00"))
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    full = [
        line("description_mismatch.refund", "199.00"),
        line("description_mismatch.shipping", "35.00"),
    ]
    with pytest.raises(ValidationError) as error:
        decide(complaint, reviewer, lines=full)
    assert error.value.messages == ["The shipping can be at most ¥10.00."]
    services.add_evidence_files(complaint=complaint, uploader=consumer, kind="photo", files=[png()])
    with pytest.raises(ValidationError):
        decide(complaint, reviewer, lines=full)
    services.add_evidence_files(
        complaint=complaint, uploader=consumer, kind="logistics_record", files=[png()]
    )
    decide(complaint, reviewer, lines=full)
    assert AwardLine.objects.get(rule="description_mismatch.shipping").paid_amount == D("35.00")


def test_the_filing_page_tells_the_return_shipping_maximum_and_refuses_more(
    client, order, consumer
):
    client.force_login(consumer)
    url = reverse("disputes:file_complaint", kwargs={"order_number": order.order_number})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "at most ¥200.00, and paid back only with a logistics record" in page.content.decode()
    response = client.post(
        url,
        {
            "kind": "description_mismatch",
            "description": "颜色不符。",
            "claimed_amount": "100.00",
            "return_shipping": "200.01",
            "evidence_kind": "photo",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["return_shipping"]
    assert not Complaint.objects.exists()
