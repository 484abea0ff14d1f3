"""The seller overview's "waiting for your answer": every kind of waiting, earliest first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import party_lists
from disputes.models import Appeal, Complaint, InfoRequest, Party
from tests.compiling import compiled_reads
from tests.factories import ComplaintFactory, PlatformUserFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


def _complaint(store, status, *, due_in_hours):
    return ComplaintFactory(
        merchant=store.merchant,
        status=status,
        due_at=timezone.now() + timedelta(hours=due_in_hours),
    )


def _ask(complaint, party, **fields):
    return InfoRequest.objects.create(
        complaint=complaint,
        party=party,
        question="请补充照片",
        asked_by=PlatformUserFactory(),
        due_at=timezone.now() + timedelta(hours=72),
        **fields,
    )


def _appeal(complaint, party, **fields):
    return Appeal.objects.create(
        complaint=complaint,
        party=party,
        appellant=complaint.consumer,
        reason="不服",
        response_due_at=timezone.now() + timedelta(hours=48),
        **fields,
    )


def test_every_kind_of_waiting_is_listed_earliest_deadline_first(store):
    answer = _complaint(store, S.NEGOTIATING, due_in_hours=30)
    pay_first = _complaint(store, S.AWAITING_MERCHANT_PAYMENT, due_in_hours=10)
    asked = _complaint(store, S.AWAITING_INFO, due_in_hours=20)
    _ask(asked, Party.MERCHANT)
    appealed = _complaint(store, S.UNDER_APPEAL, due_in_hours=5)
    _appeal(appealed, Party.CONSUMER)
    waiting = party_lists.waiting_for_merchant(store.merchant, limit=10)
    assert waiting == [appealed, pay_first, asked, answer]


def test_what_waits_for_someone_else_is_not_listed(store, other_store):
    consumer_asked = _complaint(store, S.AWAITING_INFO, due_in_hours=20)
    _ask(consumer_asked, Party.CONSUMER)
    answered = _complaint(store, S.AWAITING_INFO, due_in_hours=20)
    _ask(answered, Party.MERCHANT, answered_at=timezone.now(), answer="已补充")
    lapsed = _complaint(store, S.AWAITING_INFO, due_in_hours=20)
    _ask(lapsed, Party.MERCHANT, lapsed_at=timezone.now())
    own_appeal = _complaint(store, S.UNDER_APPEAL, due_in_hours=5)
    _appeal(own_appeal, Party.MERCHANT)
    responded = _complaint(store, S.UNDER_APPEAL, due_in_hours=5)
    _appeal(responded, Party.CONSUMER, responded_at=timezone.now(), response="回应")
    response_lapsed = _complaint(store, S.UNDER_APPEAL, due_in_hours=5)
    _appeal(response_lapsed, Party.CONSUMER, response_lapsed=True)
    _complaint(store, S.UNDER_REVIEW, due_in_hours=1)
    _complaint(other_store, S.NEGOTIATING, due_in_hours=1)
    assert party_lists.waiting_for_merchant(store.merchant, limit=10) == []


def test_the_first_ones_across_kinds_and_no_more(store):
    negotiating = [_complaint(store, S.NEGOTIATING, due_in_hours=h) for h in (1, 4, 7)]
    paying = [_complaint(store, S.AWAITING_MERCHANT_PAYMENT, due_in_hours=h) for h in (2, 3)]
    waiting = party_lists.waiting_for_merchant(store.merchant, limit=3)
    assert waiting == [negotiating[0], paying[0], paying[1]]


def test_equal_deadlines_show_the_newest_first(store):
    due = timezone.now() + timedelta(hours=12)
    older = ComplaintFactory(merchant=store.merchant, status=S.NEGOTIATING, due_at=due)
    newer = ComplaintFactory(
        merchant=store.merchant,
        status=S.AWAITING_MERCHANT_PAYMENT,
        due_at=due,
        created_at=older.created_at + timedelta(minutes=5),
    )
    assert party_lists.waiting_for_merchant(store.merchant, limit=10) == [newer, older]


def test_a_second_overview_compiles_none_of_its_waiting_reads(store, other_store):
    _complaint(store, S.NEGOTIATING, due_in_hours=5)
    party_lists.waiting_for_merchant(other_store.merchant, limit=10)

    with compiled_reads() as compiled:
        waiting = party_lists.waiting_for_merchant(store.merchant, limit=10)

    assert len(waiting) == 1
    assert compiled == []


def test_the_waiting_list_reads_what_the_table_shows_and_no_more(store, django_assert_num_queries):
    complaint = _complaint(store, S.NEGOTIATING, due_in_hours=5)
    with django_assert_num_queries(4):
        (listed,) = party_lists.waiting_for_merchant(store.merchant, limit=10)
    with django_assert_num_queries(0):
        shown = (listed.number, listed.get_kind_display(), listed.order.item_title)
    assert shown == (complaint.number, complaint.get_kind_display(), complaint.order.item_title)
    assert listed.get_deferred_fields() >= {"description", "consumer_id"}
