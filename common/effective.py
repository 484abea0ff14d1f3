"""Reference rows every request reads (effective-dated policies, rules, holidays), read
from the database at most once a minute per process.

They are tiny tables that change rarely, and always ahead of time: a new policy or rule
takes effect at least `LEAD_TIME` after it is saved (the console refuses anything sooner),
longer than a process keeps its copy, so every process has it before it applies. A save or
delete in this process forgets the copy at once (and again when the transaction commits).
"""

import threading
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.signals import post_delete, post_save

TTL_SECONDS = 60
LEAD_TIME = timedelta(minutes=5)

_rows: dict[str, tuple[float, list]] = {}
_lock = threading.Lock()


def rows(model, *, order_by: str, prefetch: tuple[str, ...] = ()) -> list:
    """All rows of `model` in `order_by` order; treat them as read-only."""
    key = model._meta.label
    now = time.monotonic()
    cached = _rows.get(key)
    if cached is not None and now - cached[0] < TTL_SECONDS:
        return cached[1]
    fresh = list(model.objects.order_by(order_by).prefetch_related(*prefetch))
    with _lock:
        _rows[key] = (now, fresh)
    return fresh


def in_force(model, at: datetime, *, prefetch: tuple[str, ...] = ()):
    """The effective-dated row in force at `at`: the latest that took effect by then."""
    newest_first = rows(model, order_by="-effective_from", prefetch=prefetch)
    return next((row for row in newest_first if row.effective_from <= at), None)


def next_change(model, after: datetime) -> datetime | None:
    """When the next row of `model` saved so far takes effect after `after`, if any."""
    later = [row.effective_from for row in rows(model, order_by="-effective_from")]
    return min((moment for moment in later if moment > after), default=None)


def forget(model) -> None:
    with _lock:
        _rows.pop(model._meta.label, None)


def forget_all() -> None:
    with _lock:
        _rows.clear()


def forget_on_change(model, *, also: tuple = ()) -> None:
    """Forget `model`'s rows (and those of `also`) whenever a row of `model` changes."""

    def changed(sender, **kwargs):
        for target in (model, *also):
            forget(target)
            transaction.on_commit(lambda target=target: forget(target))

    post_save.connect(changed, sender=model, weak=False)
    post_delete.connect(changed, sender=model, weak=False)
