"""Events are written in the transaction of the change they report, and fanned out only to
the subscriptions whose client may see them."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deposits import services as ledger
from deposits.models import DepositAccount, Disbursement
from disputes import services as disputes
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint
from tests.deposits.test_services import pay
from tests.disputes.test_charging_deposits import awaiting_payment, lapsed
from tests.disputes.test_review import decide, escalate, reviewer_user, under_review
from tests.factories import ComplaintFactory, FinanceUserFactory
from webhooks import events, services
from webhooks.models import Delivery, Event, EventType

from .conftest import payment_client, store_client, subscribe

pytestmark = pytest.mark.django_db


def events_to(subscription, event_type=None):
    deliveries = Delivery.objects.filter(subscription=subscription).select_related("event")
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    return [d.event for d in deliveries.order_by("id")]


def test_filing_and_each_state_change_are_recorded_with_their_states(
    superuser, store, file, consumer
):
    subscription, _secret = subscribe(superuser, store_client(superuser, store.merchant))
    complaint = file()
    escalate(complaint, store, consumer)

    filed, changed = events_to(subscription)
    assert filed.type == EventType.COMPLAINT_FILED
    assert filed.data["complaint"] == complaint.number
    assert filed.data["claimed_amount"] == "199.00"
    assert filed.ordering_key == f"complaint:{complaint.number}"
    # Refusing keeps the complaint negotiating: no state change, no event.
    assert changed.type == EventType.COMPLAINT_STATUS_CHANGED
    assert changed.data == {
        "complaint": complaint.number,
        "from": "negotiating",
        "to": "under_review",
        "transition": "escalate",
    }


def test_nothing_is_recorded_for_a_change_that_rolled_back(superuser, store, complaint, consumer):
    subscribe(superuser, store_client(superuser, store.merchant))
    before = Event.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        escalate(complaint, store, consumer)
        raise RuntimeError("the request failed after the change")

    assert Event.objects.count() == before
    assert Complaint.objects.get(pk=complaint.pk).status == "negotiating"


def test_a_client_of_one_store_hears_nothing_of_another(
    superuser, store, other_store, complaint, consumer
):
    ours, _ = subscribe(superuser, store_client(superuser, store.merchant))
    theirs, _ = subscribe(superuser, store_client(superuser, other_store.merchant, name="Other"))
    escalate(complaint, store, consumer)

    assert events_to(ours)
    assert events_to(theirs) == []


def test_inactive_subscriptions_and_clients_get_nothing(superuser, store, complaint, consumer):

    off, _ = subscribe(superuser, store_client(superuser, store.merchant))
    services.disable_subscription(actor=superuser, subscription=off)
    client = store_client(superuser, store.merchant, name="Gone")
    gone, _ = subscribe(superuser, client)
    client.is_active = False
    client.save(update_fields=["is_active"])
    # The client's deactivation is not a subscription change: a new transaction reads it.
    with transaction.atomic():
        escalate(complaint, store, consumer)

    assert events_to(off) == [] and events_to(gone) == []


def test_a_decision_tells_the_store_and_the_payment_system_what_each_may_see(
    superuser, store, complaint, consumer
):
    to_store, _ = subscribe(superuser, store_client(superuser, store.merchant))
    to_payments, _ = subscribe(superuser, payment_client(superuser))
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)

    decision = decide(complaint, reviewer)

    store_types = [e.type for e in events_to(to_store)]
    # The store kept exactly what it must: the payout leaves it short.
    assert store_types[-4:] == [
        EventType.COMPLAINT_STATUS_CHANGED,
        EventType.COMPLAINT_DECIDED,
        EventType.DEPOSIT_CLAIM_PAID,
        EventType.DEPOSIT_TOP_UP_REQUIRED,
    ]
    decided = events_to(to_store, EventType.COMPLAINT_DECIDED)[0]
    assert decided.data["outcome"] == "upheld"
    assert decided.data["award_amount"] == f"{decision.total:.2f}"
    assert decided.data["status"] == "paid"
    (queued,) = events_to(to_payments)
    assert queued.type == EventType.PAYOUT_AWAITING_ACCOUNT
    assert queued.data["amount"] == f"{decision.total:.2f}"
    assert queued.data["complaint"] == complaint.number
    assert queued.ordering_key == f"complaint:{complaint.number}"
    # The payment system hears nothing of the complaint itself.
    assert not any(e.type.startswith("complaint.") for e in events_to(to_payments))


def test_payout_status_changes_reach_the_payment_system(superuser, store, complaint, consumer):

    to_payments, _ = subscribe(superuser, payment_client(superuser))
    reviewer = reviewer_user()
    under_review(complaint, store, consumer, reviewer)
    decide(complaint, reviewer)
    payout = Disbursement.objects.get(reference=f"complaint:{complaint.number}")
    ledger.fall_back_to_login(disbursement=payout, now=payout.account_due_at)
    finance = FinanceUserFactory()
    ledger.mark_disbursement_failed(disbursement=payout, reason="bank said no", actor=finance)
    ledger.retry_disbursement(disbursement=payout, actor=finance)
    ledger.mark_disbursement_sent(disbursement=payout, external_reference="BANK-9", actor=finance)

    assert [(e.type, e.data["status"]) for e in events_to(to_payments)] == [
        (EventType.PAYOUT_AWAITING_ACCOUNT, "awaiting_account"),
        (EventType.PAYOUT_QUEUED, "pending"),
        (EventType.PAYOUT_FAILED, "failed"),
        (EventType.PAYOUT_QUEUED, "pending"),
        (EventType.PAYOUT_SENT, "sent"),
    ]
    sent = events_to(to_payments)[-1]
    assert sent.data["external_reference"] == "BANK-9"
    assert sent.data["sent_at"].endswith("+00:00")


def test_a_reminder_is_an_event_of_the_complaint(superuser, store, complaint):
    subscription, _ = subscribe(superuser, store_client(superuser, store.merchant))
    now = complaint.due_at - timedelta(hours=1)

    assert disputes.send_reminder(complaint=complaint, now=now)

    (reminder,) = events_to(subscription, EventType.COMPLAINT_REMINDER)
    assert reminder.data["waiting_for"] == ["merchant"]
    assert reminder.data["due_at"] == complaint.due_at.astimezone(UTC).isoformat()


def test_deposit_notices_reach_the_stores_client(superuser, store):

    subscription, _ = subscribe(superuser, store_client(superuser, store.merchant))
    account = DepositAccount.objects.get(merchant=store.merchant)
    pay(account, Decimal("10000.00"), key="payout")
    due_by = account.top_up_due_by
    ledger.restrict_lapsed_top_up(account=account, now=due_by)
    ledger.record_pay_in(
        account=account,
        amount=Decimal("10000.00"),
        kind="top_up",
        reference="B",
        idempotency_key="t",
    )

    notices = events_to(subscription)
    assert [e.type for e in notices] == [
        EventType.DEPOSIT_TOP_UP_REQUIRED,
        EventType.DEPOSIT_RESTRICTED,
        EventType.DEPOSIT_RESTRICTION_LIFTED,
    ]
    assert notices[0].data == {
        "amount_due": "10000.00",
        "due_by": due_by.astimezone(UTC).isoformat(),
    }
    assert {e.ordering_key for e in notices} == {f"store:{store.merchant.pk}"}


def test_one_query_finds_the_subscriptions_of_a_transaction(
    superuser, store, complaint, consumer, django_assert_num_queries
):
    """Only the first event of a transaction reads the subscriptions; the others use them."""

    subscribe(superuser, store_client(superuser, store.merchant))
    subscribe(superuser, payment_client(superuser))
    with transaction.atomic():
        events.forget_subscriptions()
        with django_assert_num_queries(1 + 2 + 2):  # the read; an event and its delivery, twice
            events.complaint_event(EventType.COMPLAINT_REMINDER, complaint)
            events.record(EventType.PAYOUT_SENT, data={}, ordering_key="disbursement:1")


def test_without_subscriptions_a_transaction_pays_one_query(
    store, complaint, django_assert_num_queries
):

    with transaction.atomic():
        events.forget_subscriptions()
        with django_assert_num_queries(1):
            events.complaint_event(EventType.COMPLAINT_REMINDER, complaint)
            events.complaint_event(EventType.COMPLAINT_DECIDED, complaint)
            events.record(EventType.PAYOUT_SENT, data={}, ordering_key="disbursement:1")
    assert not Event.objects.exists()


def test_a_batch_over_several_stores_reads_their_subscriptions_in_one_query(
    superuser, store, complaint, django_assert_num_queries
):

    elsewhere = ComplaintFactory()
    unsubscribed = ComplaintFactory()
    to_store, _ = subscribe(superuser, store_client(superuser, store.merchant))
    to_other, _ = subscribe(superuser, store_client(superuser, elsewhere.merchant, name="B"))
    stores = {c.merchant_id for c in (complaint, elsewhere, unsubscribed)}
    with transaction.atomic():
        events.forget_subscriptions()
        with django_assert_num_queries(1 + 2 + 2):  # the read; two events and their deliveries
            events.read_ahead_stores(stores)
            for each in (complaint, elsewhere, unsubscribed):
                events.complaint_event(EventType.COMPLAINT_REMINDER, each)

    assert [e.data["complaint"] for e in events_to(to_store, EventType.COMPLAINT_REMINDER)] == [
        complaint.number
    ]
    assert [e.data["complaint"] for e in events_to(to_other, EventType.COMPLAINT_REMINDER)] == [
        elsewhere.number
    ]


def test_a_silent_merchants_batch_over_several_stores_reads_subscriptions_once(superuser):

    silent = [ComplaintFactory() for _ in range(3)]
    for each in silent:
        subscribe(superuser, store_client(superuser, each.merchant, name=f"ERP {each.merchant.pk}"))
    Complaint.objects.update(due_at=timezone.now() - timedelta(seconds=1))

    with CaptureQueriesContext(connection) as queries:
        process_due_complaints(timezone.now())

    reads = [q for q in queries.captured_queries if 'FROM "webhooks_subscription"' in q["sql"]]
    assert len(reads) == 1
    escalated = Event.objects.filter(type=EventType.COMPLAINT_STATUS_CHANGED)
    assert sorted(e.data["complaint"] for e in escalated) == sorted(c.number for c in silent)


def test_a_charging_batch_over_several_stores_reads_subscriptions_once(
    superuser, store, other_store
):

    to_payments, _ = subscribe(superuser, payment_client(superuser))
    for each in (store, other_store):
        subscribe(superuser, store_client(superuser, each.merchant, name=f"ERP {each.merchant.pk}"))
    storm = awaiting_payment(store, 2) + awaiting_payment(other_store, 2)
    # As in the sweep's own transaction: nothing read yet (the test's one transaction read
    # them while deciding).
    events.forget_subscriptions()

    with CaptureQueriesContext(connection) as queries:
        process_due_complaints(lapsed(storm))

    reads = [q for q in queries.captured_queries if 'FROM "webhooks_subscription"' in q["sql"]]
    assert len(reads) == 1
    payouts = events_to(to_payments, EventType.PAYOUT_AWAITING_ACCOUNT)
    assert len(payouts) == 4


def test_each_payout_of_a_deadline_storm_reaches_the_payment_system(superuser, store):

    to_payments, _ = subscribe(superuser, payment_client(superuser))
    to_store, _ = subscribe(superuser, store_client(superuser, store.merchant))
    storm = awaiting_payment(store, 3)
    process_due_complaints(lapsed(storm))

    payouts = events_to(to_payments, EventType.PAYOUT_AWAITING_ACCOUNT)
    assert sorted(e.data["payout"] for e in payouts) == sorted(
        Disbursement.objects.values_list("pk", flat=True)
    )
    decided = events_to(to_store, EventType.COMPLAINT_DECIDED)
    charged = [e for e in decided if e.data["status"] == Complaint.Status.PAID]
    assert sorted(e.data["complaint"] for e in charged) == sorted(c.number for c in storm)
