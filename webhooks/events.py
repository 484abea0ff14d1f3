"""Record an event in the transaction of the change it reports, with one delivery for each
active subscription that wants it; the delivery task starts after that transaction commits.

The domain calls `record` (or `complaint_event`) where the change happens; complaint state
changes and payout statuses arrive through signals (`receivers.py`). This module imports
only `common`-level code and its own models, so the domain apps may import it as they
import `outbox`.

Who receives what:
- `complaint.*` and `deposit.*`: subscriptions of an active client bound to the event's
  store that holds `complaints:read`;
- `payout.*`: subscriptions of an active client holding `disbursements:write` (the payment
  system), whatever the store.

The subscriptions are read once per transaction (per store), never across transactions: a
transaction touching one store's complaint, payout and deposit pays one query in all.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from api.models import Scope
from common.prepared import PreparedRead

from .models import Delivery, Event, EventType, Subscription

# A delivery failing for this long after it was recorded (or resent) is given up.
GIVE_UP_AFTER = timedelta(hours=24)
CENT = Decimal("0.01")

PAYOUT_TYPES = frozenset(t for t in EventType.values if t.startswith("payout."))


def money(amount: Decimal | None) -> str | None:
    """Money as a string with two decimals: JSON numbers are floats to most readers."""
    return None if amount is None else str(Decimal(amount).quantize(CENT))


def moment(value: datetime | None) -> str | None:
    """An instant as ISO 8601 with its offset (UTC)."""
    return None if value is None else value.astimezone(UTC).isoformat()


def complaint_key(number: str) -> str:
    return f"complaint:{number}"


@dataclass(frozen=True)
class _Subscriber:
    id: int
    event_types: frozenset
    merchant_id: int | None
    scopes: frozenset


@dataclass
class _TransactionState:
    """The subscriptions this transaction read, and whether it recorded a delivery. It is
    itself the after-commit callback that starts the delivery task."""

    hooks: list
    by_store: dict = field(default_factory=dict)
    payout_subscribers: list | None = None
    recorded: bool = False

    def __call__(self):
        if self.recorded:
            from .tasks import deliver_webhooks

            deliver_webhooks.delay()


def _state() -> _TransactionState:
    """This transaction's state. Django replaces `run_on_commit` with a new list when a
    transaction ends or a savepoint rolls back, so a state registered in another list is
    another transaction's (or was undone with a savepoint) and is not used."""
    state = getattr(connection, "webhooks_state", None)
    if state is not None and state.hooks is connection.run_on_commit:
        return state
    state = _TransactionState(hooks=connection.run_on_commit)
    # Robust: a broker that is down must not fail a change that has committed; beat's
    # periodic run delivers meanwhile.
    transaction.on_commit(state, robust=True)
    connection.webhooks_state = state
    return state


def forget_subscriptions() -> None:
    """A subscription changed in this transaction: read them again at the next event."""
    state = getattr(connection, "webhooks_state", None)
    if state is not None:
        state.by_store.clear()
        state.payout_subscribers = None


def _active(condition: Q):
    return Subscription.objects.filter(
        condition, is_active=True, client__is_active=True
    ).values_list("id", "event_types", "client__merchant_id", "client__scopes")


def _pays_out() -> Q:
    # Matched as text (portable to SQLite); `_Subscriber.scopes` checks the exact scope.
    return Q(client__scopes__icontains=Scope.DISBURSEMENTS_WRITE)


# Read by every transaction that records an event, subscribers or not: compiled once.
_OF_STORE_AND_PAYMENTS = PreparedRead(
    lambda merchant_id: _active(Q(client__merchant_id=merchant_id) | _pays_out())
)


def _subscribers_from(rows) -> list[_Subscriber]:
    return [
        _Subscriber(
            id=subscription_id,
            event_types=frozenset(event_types),
            merchant_id=merchant_id,
            scopes=frozenset(scopes),
        )
        for subscription_id, event_types, merchant_id, scopes in rows
    ]


def _subscribers(state: _TransactionState, event_type: str, merchant_id: int | None):
    if merchant_id is not None and merchant_id not in state.by_store:
        # One query for the store's subscriptions and the payment system's together: the
        # transactions that pay out from a store's deposit need both.
        found = _subscribers_from(_OF_STORE_AND_PAYMENTS.rows(merchant_id))
        state.by_store[merchant_id] = [s for s in found if s.merchant_id == merchant_id]
        state.payout_subscribers = [s for s in found if Scope.DISBURSEMENTS_WRITE in s.scopes]
    if event_type in PAYOUT_TYPES:
        if state.payout_subscribers is None:
            state.payout_subscribers = [
                s
                for s in _subscribers_from(_active(_pays_out()))
                if Scope.DISBURSEMENTS_WRITE in s.scopes
            ]
        return [s for s in state.payout_subscribers if event_type in s.event_types]
    return [
        s
        for s in state.by_store.get(merchant_id, ())
        if event_type in s.event_types and Scope.COMPLAINTS_READ in s.scopes
    ]


def read_ahead(merchant_id: int) -> None:
    """Read now the subscriptions this transaction's events about a store will need (the
    store's and the payment system's, one query), so that a caller about to take a busy
    lock does not read them while holding it."""
    if connection.in_atomic_block:
        _subscribers(_state(), EventType.PAYOUT_QUEUED, merchant_id)


def read_ahead_stores(merchant_ids) -> None:
    """`read_ahead` for a batch's events about many stores (a deadline storm spans
    hundreds): their subscriptions and the payment system's in one query, not one a store."""
    if not connection.in_atomic_block:
        return
    state = _state()
    unread = set(merchant_ids) - state.by_store.keys()
    if len(unread) < 2:
        for merchant_id in unread:
            read_ahead(merchant_id)
        return
    found = _subscribers_from(_active(Q(client__merchant_id__in=unread) | _pays_out()))
    by_store = defaultdict(list)
    for subscriber in found:
        by_store[subscriber.merchant_id].append(subscriber)
    for merchant_id in unread:
        state.by_store[merchant_id] = by_store[merchant_id]
    state.payout_subscribers = [s for s in found if Scope.DISBURSEMENTS_WRITE in s.scopes]


def record(
    event_type: str,
    *,
    data: dict,
    ordering_key: str,
    merchant_id: int | None = None,
    at: datetime | None = None,
) -> Event | None:
    """Write the event and its deliveries in the caller's transaction; None when no active
    subscription wants it. `merchant_id`: the store a complaint or deposit event is about
    (payout events go to the payment system whatever the store). `data` holds JSON values
    only: money through `money`, instants through `moment`."""
    if not connection.in_atomic_block:
        # Its own transaction, so the delivery task starts once the rows are there.
        with transaction.atomic():
            return record(
                event_type, data=data, ordering_key=ordering_key, merchant_id=merchant_id, at=at
            )
    state = _state()
    subscribers = _subscribers(state, event_type, merchant_id)
    if not subscribers:
        return None
    at = at or timezone.now()
    event = Event.objects.create(
        type=event_type, data=data, ordering_key=ordering_key, created_at=at
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                event=event,
                subscription_id=subscriber.id,
                ordering_key=ordering_key,
                next_attempt_at=at,
                give_up_after=at + GIVE_UP_AFTER,
                created_at=at,
            )
            for subscriber in subscribers
        ]
    )
    state.recorded = True
    return event


def complaint_event(event_type: str, complaint, *, at: datetime | None = None, **data):
    """An event about one complaint: its number first, delivered in order with the
    complaint's other events."""
    return record(
        event_type,
        data={"complaint": complaint.number, **data},
        ordering_key=complaint_key(complaint.number),
        merchant_id=complaint.merchant_id,
        at=at,
    )


def deposit_event(event_type: str, merchant_id: int, **data):
    """A notice about a store's deposit, in order with the store's other notices."""
    return record(
        event_type, data=data, ordering_key=f"store:{merchant_id}", merchant_id=merchant_id
    )
