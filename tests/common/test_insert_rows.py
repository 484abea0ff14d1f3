"""insert_rows and insert_objects write what bulk_create would have written, in one statement
(with one more for the keys of several objects) on either database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.db import INSERTED_AT_ONCE, insert_objects, insert_rows
from deposits.models import LedgerEntry
from disputes.models import Decision, Notification
from outbox.models import OutboundMessage
from tests.factories import ComplaintFactory, DepositAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS_SET_BY_THE_DATABASE = {"id"}


def _as_stored(row) -> dict:
    return {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields
        if field.attname not in FIELDS_SET_BY_THE_DATABASE
    }


def test_notices_read_back_as_the_same_notices_made_by_bulk_create():
    user, complaint = UserFactory(), ComplaintFactory()
    given = {"event": "escalated", "url": "/complaints/TS1/", "params": {"held": "¥1.00", "n": 2}}
    Notification.objects.bulk_create([Notification(user=user, complaint=complaint, **given)])
    before = timezone.now()

    insert_rows(Notification, [{"user_id": user.pk, "complaint_id": complaint.pk, **given}])

    by_orm, by_rows = Notification.objects.order_by("id")
    assert {**_as_stored(by_rows), "created_at": None} == {
        **_as_stored(by_orm),
        "created_at": None,
    }
    assert before <= by_rows.created_at <= timezone.now()
    assert by_rows.params == {"held": "¥1.00", "n": 2}
    assert by_rows.read_at is None


def test_messages_left_without_the_defaulted_fields_take_each_default():
    insert_rows(
        OutboundMessage,
        [{"channel": "email", "recipient": f"a{i}@example.com", "body": "正文"} for i in range(3)],
    )

    messages = list(OutboundMessage.objects.order_by("id"))
    assert [m.recipient for m in messages] == [f"a{i}@example.com" for i in range(3)]
    for message in messages:
        assert (message.subject, message.attempts, message.sensitive) == ("", 0, False)
        assert (message.last_error, message.request_id, message.sent_at) == ("", "", None)
        # One instant for the whole batch, and the message may go at once.
        assert message.created_at == message.send_after == messages[0].created_at


def test_a_callable_default_is_called_for_each_row_it_fills():
    user = UserFactory()
    insert_rows(Notification, [{"user_id": user.pk, "event": "e", "url": "/"}] * 2)

    first, second = Notification.objects.order_by("id")
    assert first.params == second.params == {}
    assert first.complaint_id is None


def test_many_rows_are_one_statement_and_no_rows_none():
    user = UserFactory()
    with CaptureQueriesContext(connection) as none:
        insert_rows(Notification, [])
    with CaptureQueriesContext(connection) as many:
        insert_rows(Notification, [{"user_id": user.pk, "event": "e", "url": "/"}] * 500)

    assert len(none) == 0
    assert len(many) == 1
    assert Notification.objects.count() == 500


def test_a_row_the_database_refuses_fails_as_djangos_integrity_error_and_writes_nothing():
    now = timezone.now()
    good = {"channel": "sms", "recipient": "13800000000", "body": "x"}
    sent_and_given_up = {**good, "sent_at": now, "gave_up_at": now + timedelta(seconds=1)}

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(OutboundMessage, [good, sent_and_given_up])

    assert not OutboundMessage.objects.exists()


def test_a_column_no_row_gives_and_without_a_default_is_prepared_once_per_batch(monkeypatch):
    sent_at = OutboundMessage._meta.get_field("sent_at")
    prepared = []
    original = sent_at.get_db_prep_save
    monkeypatch.setattr(
        sent_at, "get_db_prep_save", lambda *args, **kw: prepared.append(1) or original(*args, **kw)
    )

    insert_rows(
        OutboundMessage,
        [{"channel": "sms", "recipient": f"1380000000{i}", "body": "x"} for i in range(10)],
    )

    assert len(prepared) == 1
    assert set(OutboundMessage.objects.values_list("sent_at", flat=True)) == {None}


# A few objects are one INSERT; more are their keys, then COPY, on PostgreSQL.
@pytest.mark.parametrize(("count", "statements_on_postgresql"), [(3, 1), (INSERTED_AT_ONCE + 1, 2)])
def test_objects_inserted_together_read_back_as_bulk_create_writes_them_with_rising_keys(
    count, statements_on_postgresql
):
    account = DepositAccountFactory(paid_in=Decimal("100.00"))

    def holds(prefix):
        return [
            LedgerEntry(
                account=account,
                kind=LedgerEntry.Kind.HOLD,
                held_delta=Decimal(f"{n}.50"),
                balance_after=Decimal("100.00"),
                held_after=Decimal(f"{n}.50"),
                arrears_after=Decimal("0.00"),
                reference=f"TS{n}",
                idempotency_key=f"{prefix}-{n}",
                operation_key=f"{prefix}-{n}",
            )
            for n in range(count)
        ]

    by_orm, together = holds("orm"), holds("together")
    LedgerEntry.objects.bulk_create(by_orm)
    with CaptureQueriesContext(connection) as queries:
        insert_objects(together)

    assert len(queries) == (statements_on_postgresql if connection.vendor == "postgresql" else 1)
    keys = [entry.pk for entry in together]
    assert keys == sorted(keys) and keys[0] > by_orm[-1].pk
    assert not any(entry._state.adding for entry in together)
    stored = {e.pk: e for e in LedgerEntry.objects.filter(pk__in=keys)}
    for mine, theirs in zip(together, by_orm, strict=True):
        assert stored[mine.pk].created_at == mine.created_at
        told_apart = {"idempotency_key": "", "operation_key": "", "created_at": None}
        assert {**_as_stored(stored[mine.pk]), **told_apart} == {
            **_as_stored(theirs),
            **told_apart,
        }


def test_a_batch_of_objects_the_database_refuses_writes_nothing():
    account = DepositAccountFactory(paid_in=Decimal("100.00"))
    overdrawn = LedgerEntry(
        account=account,
        kind=LedgerEntry.Kind.HOLD,
        held_delta=Decimal("200.00"),
        balance_after=Decimal("100.00"),
        held_after=Decimal("200.00"),
        arrears_after=Decimal("0.00"),
        idempotency_key="overdrawn",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([overdrawn])

    assert not LedgerEntry.objects.filter(idempotency_key="overdrawn").exists()


def test_one_object_is_one_insert_and_reads_back_as_save_writes_it():
    complaint = ComplaintFactory()
    reviewer = UserFactory()

    def decision():
        return Decision(
            complaint=complaint,
            outcome=Decision.Outcome.UPHELD,
            reason_code="rule_broken",
            reasoning="货不对板。",
            suggested_total=Decimal("199.00"),
            decided_by=reviewer,
            decided_at=timezone.now(),
        )

    saved, inserted = decision(), decision()
    saved.save()
    with CaptureQueriesContext(connection) as queries:
        insert_objects([inserted])

    assert len(queries) == 1
    assert inserted.pk > saved.pk and not inserted._state.adding
    stored = Decision.objects.get(pk=inserted.pk)
    assert _as_stored(stored) == {**_as_stored(saved), "decided_at": inserted.decided_at}
