"""Transactions that survive lock conflicts, and the explicit locks services share.

The lock order of the whole project, so that no two transactions wait for each other in
a cycle:

1. a claim group (``lock_claim_group``): one consumer's complaints against one store,
   which share the refund cap of an order and the late-shipping cap;
2. a complaint row, then rows of its own (its open offer, decision, appeal);
3. a store (merchant) row;
4. its deposit account row (several accounts: in ascending id, in one statement);
5. a disbursement row.

Every row lock is ``FOR NO KEY UPDATE`` of the locked table alone
(``select_for_update(no_key=True, of=("self",))``): it never locks the rows a query joins,
and it does not block the key-share locks PostgreSQL takes to check foreign keys when
another transaction inserts a row pointing at the locked one.
"""

import functools
import hashlib
import logging
import random
import time
from contextlib import nullcontext
from decimal import Decimal

from django.db import DatabaseError, connection, models, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

logger = logging.getLogger(__name__)

# deadlock_detected and serialization_failure: the database undid the whole transaction,
# so running it again from the start is safe.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
MAX_ATTEMPTS = 4


def is_lock_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure, however the driver wraps it."""
    while error is not None:
        if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        error = error.__cause__
    return False


def atomic_service(function):
    """Run ``function`` in one transaction, again (a bounded number of times) on a deadlock.

    Only the outermost transaction can be retried: nested in a caller's transaction, the
    conflict propagates and the caller's transaction fails or retries as a whole.
    """

    @functools.wraps(function)
    def run(*args, **kwargs):
        if connection.in_atomic_block:
            with transaction.atomic():
                return function(*args, **kwargs)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return function(*args, **kwargs)
            except DatabaseError as error:
                if attempt == MAX_ATTEMPTS or not is_lock_conflict(error):
                    raise
                logger.warning(
                    "%s: lock conflict, attempt %s of %s: %s",
                    function.__qualname__,
                    attempt,
                    MAX_ATTEMPTS,
                    error,
                )
                # Apart at random, so two victims of one conflict do not meet again.
                time.sleep(random.uniform(0, 0.02 * attempt))  # noqa: S311
        raise AssertionError("unreachable")

    return run


def _advisory_key(*parts) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_claim_group(*, consumer_id: int, merchant_id: int) -> None:
    """Serialise, until the transaction ends, the steps that use a consumer's shared caps
    with one store: filing, offers, decisions and appeal revisions.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite needs none: the project
    opens its transactions IMMEDIATE there, so one writer runs at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [_advisory_key("claim-group", consumer_id, merchant_id)],
        )


def update_rows(model, field: str, values: dict, *, also: dict | None = None) -> None:
    """Set one column of many rows to each row's own value in one statement: `values` maps
    primary keys to values; `also` sets other fields to one value on every row. (Django's
    bulk_update builds a CASE per row and column, which costs more than the database's
    work at a few hundred rows.)"""
    if not values:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    same = [model._meta.get_field(name) for name in also or {}]
    same_sql = "".join(f", {connection.ops.quote_name(f.column)} = %s" for f in same)
    same_params = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(same, (also or {}).values(), strict=True)
    ]
    if connection.vendor == "postgresql":
        db_type = model._meta.get_field(field).db_type(connection)
        rows = ", ".join(["(%s, %s)"] * len(values))
        # Only quoted identifiers are formatted in; every value is a parameter.
        sql = (
            f"UPDATE {table} AS t SET {column} = v.value::{db_type}{same_sql} "  # noqa: S608
            f"FROM (VALUES {rows}) AS v(id, value) WHERE t.{pk} = v.id"
        )
        params = same_params + [item for pair in values.items() for item in pair]
    else:
        cases = " ".join(["WHEN %s THEN %s"] * len(values))
        holes = ", ".join(["%s"] * len(values))
        sql = (
            f"UPDATE {table} SET {column} = CASE {pk} {cases} END{same_sql} "  # noqa: S608
            f"WHERE {pk} IN ({holes})"
        )
        params = [item for pair in values.items() for item in pair] + same_params + list(values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_rows(model, rows: list[dict], *, keys: list[int] | None = None) -> None:
    """Insert many new rows of `model`, each given as {attname: value}, in one statement and
    without a model instance per row (bulk_create spends more on building, checking and
    preparing instances than PostgreSQL spends on the rows). Fields a row leaves out take
    their defaults; a `timezone.now` default is one instant for the whole batch. No ids or
    signals come back: for rows nothing reads again in the same transaction (notices,
    messages to send), unless `keys` gives each row its primary key (`insert_objects`).

    PostgreSQL receives the rows by COPY, SQLite by one prepared INSERT run for each row.
    """
    if not rows:
        return
    fields, values = _prepared_values(model, rows)
    if keys is not None:
        fields = [model._meta.pk, *fields]
        values = [(key, *row) for key, row in zip(keys, values, strict=True)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            holes = ", ".join(["%s"] * len(fields))
            # Only quoted identifiers are formatted in; every value is a parameter.
            sql = f"INSERT INTO {table} ({columns}) VALUES ({holes})"  # noqa: S608
            cursor.executemany(sql, values)
            return
        sql = f"COPY {table} ({columns}) FROM STDIN"
        logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)


def _prepared_values(model, rows: list[dict]) -> tuple[list, list[tuple]]:
    """The model's columns but its key, and each row's values for them, ready to send."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    now = timezone.now()
    readers = [_column_reader(field, now) for field in fields]
    return fields, [tuple(read(row) for read in readers) for row in rows]


# Up to this many objects, one INSERT that returns their keys costs less than drawing the
# keys and sending the rows by COPY (two statements).
INSERTED_AT_ONCE = 10


def insert_objects(objects: list) -> None:
    """`bulk_create` of new instances of one model, with their keys set, at the cost of
    `insert_rows` on PostgreSQL: the keys are drawn from the table's sequence first, in one
    statement, rising in the order of `objects`, and the rows follow by COPY; a few objects
    are one INSERT returning their keys, rising in the same order. No signals are sent
    (bulk_create sends none either)."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    rows = [{f.attname: f.pre_save(obj, True) for f in fields} for obj in objects]
    if len(rows) <= INSERTED_AT_ONCE:
        keys = _insert_returning_keys(model, rows)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s) ORDER BY 1",
                [meta.db_table, meta.pk.column, len(objects)],
            )
            keys = [key for (key,) in cursor.fetchall()]
        insert_rows(model, rows, keys=keys)
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias


def _insert_returning_keys(model, rows: list[dict]) -> list[int]:
    """A few new rows by one INSERT, without compiling it. The keys are drawn row by row,
    so they rise in the order of the VALUES; RETURNING promises no order, so they are
    sorted (as deposits/services/_one_statement.py reads its own)."""
    fields, values = _prepared_values(model, rows)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    holes = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * len(rows))
    # Only quoted identifiers are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {holes} RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in values for value in row])
        return sorted(key for (key,) in cursor.fetchall())


# Columns whose values the database driver takes as they are when they are of these types
# (the field's own preparation would return them unchanged).
_AS_THEY_ARE = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)
_PLAIN_VALUES = frozenset({str, int, bool, type(None)})
_PLAIN_DECIMALS = frozenset({Decimal, type(None)})


def _plain_values_of(field) -> frozenset:
    kind = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(kind, models.DecimalField):
        return _PLAIN_DECIMALS
    return _PLAIN_VALUES if isinstance(kind, _AS_THEY_ARE) else frozenset()


def _column_reader(field, now):
    """How insert_rows reads one column of a row, ready for the database: a value the row
    gives, prepared by the field unless the driver takes it as it is; else the default
    (NULL or empty for a field without one), prepared once for the batch unless it is a
    callable other than `timezone.now`."""
    name = field.attname
    stamped = (
        field.default is timezone.now
        or getattr(field, "auto_now_add", False)
        or getattr(field, "auto_now", False)
    )
    plain = _plain_values_of(field)

    def prepared(value):
        if type(value) in plain:
            return value
        return field.get_db_prep_save(value, connection)

    if stamped or not field.has_default() or not callable(field.default):
        default = prepared(now if stamped else field.get_default())
        return lambda row: prepared(row[name]) if name in row else default
    return lambda row: prepared(row[name] if name in row else field.get_default())
