"""Writing rows fast: COPY on PostgreSQL, bulk_create elsewhere, in a background thread."""

import json
import queue
import threading
from collections import defaultdict
from contextlib import contextmanager
from operator import itemgetter

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django_fsm_log.models import StateLog

from accounts.models import User
from deposits.models import DepositAccount, Disbursement, LedgerEntry
from merchants.models import Merchant, MerchantMember, Order

from ..models import (
    Appeal,
    AwardLine,
    Complaint,
    ConsumerStrike,
    Decision,
    Evidence,
    InfoRequest,
    Notification,
    Offer,
)
from .base import PLACEHOLDER, PNG, LoadDataError
from .world import EXPLICIT_IDS

TABLES = (
    User,
    User.groups.through,
    Merchant,
    Merchant.categories.through,
    MerchantMember,
    DepositAccount,
    Order,
    Complaint,
    Evidence,
    Offer,
    InfoRequest,
    Decision,
    Decision.evidence_relied_on.through,
    LedgerEntry,
    Disbursement,
    Appeal,
    AwardLine,
    ConsumerStrike,
    StateLog,
    Notification,
)


class Table:
    """How rows of one model are written: its columns, and the defaults of those a row omits."""

    def __init__(self, model, now):
        self.model = model
        self.fields = [
            f for f in model._meta.concrete_fields if model in EXPLICIT_IDS or not f.primary_key
        ]
        self.columns = [f.attname for f in self.fields]
        self.defaults = {f.attname: _default(f, now) for f in self.fields}
        self.values = itemgetter(*self.columns)
        self.json = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]

    def tuples(self, rows):
        defaults, values, json_columns = self.defaults, self.values, self.json
        for row in rows:
            try:
                record = values(row)
            except KeyError:  # most rows have every column: only the others pay for a merge
                record = values({**defaults, **row})
            if json_columns:
                record = list(record)
                for i in json_columns:
                    record[i] = json.dumps(record[i], ensure_ascii=False)
            yield record

    def copy(self, cursor, rows) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for record in self.tuples(rows):
                copy.write_row(record)

    def bulk_create(self, rows) -> None:
        defaults, columns = self.defaults, self.columns
        objects = []
        for row in rows:
            merged = {**defaults, **row}
            objects.append(self.model(**{column: merged[column] for column in columns}))
        self.model.objects.bulk_create(objects, batch_size=500)


def _default(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


@contextmanager
def session(tables: dict, *, check_references: bool, rebuild_indexes: bool):
    """One transaction for the whole run, yielding the function that writes a group of
    rows: all of the data set is committed, or none of it (a failed or interrupted run
    leaves nothing to clean up). COPY on PostgreSQL, bulk_create elsewhere."""
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres and not check_references:
            # The rows point at each other by the ids given here; checking every reference
            # as it is written is a large share of the database's work. They are checked
            # once, over whole tables, before the commit (dangling_references).
            cursor.execute("SET LOCAL session_replication_role = replica")
        rebuilt = drop_indexes(cursor) if postgres and rebuild_indexes else []

        def write(rows: dict) -> None:
            for model in TABLES:
                if not rows.get(model):
                    continue
                if postgres:
                    tables[model].copy(cursor.cursor, rows[model])
                else:
                    tables[model].bulk_create(rows[model])

        yield write
        if rebuilt:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in rebuilt:
            cursor.execute(definition)
        if postgres and not check_references and (problems := dangling_references()):
            raise LoadDataError("Rows point at nothing: " + "; ".join(problems))


def drop_indexes(cursor) -> list[str]:
    """Drop the generated tables' indexes that enforce nothing (unique ones stay), and hold
    every row (partial ones are small, and PostgreSQL would print their conditions back in
    another form); returns the statements that build them again. In the run's transaction:
    an interrupted run puts them back as it rolls back."""
    cursor.execute(INDEXES, [[model._meta.db_table for model in TABLES]])
    found = cursor.fetchall()
    quote = connection.ops.quote_name
    for name, _definition in found:
        cursor.execute(f"DROP INDEX {quote(name)}")
    return [definition for _name, definition in found]


INDEXES = """
    SELECT index.relname, pg_get_indexdef(index.oid)
    FROM pg_index
    JOIN pg_class index ON index.oid = pg_index.indexrelid
    JOIN pg_class tab ON tab.oid = pg_index.indrelid
    WHERE tab.relname = ANY(%s)
      AND tab.relnamespace = current_schema()::regnamespace
      AND NOT pg_index.indisunique
      AND pg_index.indpred IS NULL
    ORDER BY index.relname
"""

# Marks on the writer's queue: every group is written (commit), or the run failed (roll back).
DONE, ABANDON = object(), object()


class Abandoned(Exception):
    """The run failed while making rows: the writer rolls back what it wrote."""


class Writer:
    """Writes the run's groups of rows in one session. On PostgreSQL (unless the caller
    holds a transaction) a thread with its own connection writes one group while the next
    is made: the database works on one core while Python works on the other. A large load
    also drops the indexes first and builds them once at the end: one sorted build costs
    far less than inserting a million rows into each of them."""

    def __init__(self, tables: dict, *, check_references: bool, rebuild_indexes: bool):
        self.options = {
            "check_references": check_references,
            "rebuild_indexes": rebuild_indexes,
        }
        self.tables = tables
        self.counts = defaultdict(int)
        self.error = None
        self.thread = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.queue = queue.Queue(maxsize=1)  # one group in flight: memory stays bounded
            self.thread = threading.Thread(target=self._run, name="load-data-writer")

    def __enter__(self) -> "Writer":
        if self.thread is not None:
            self.thread.start()
        else:
            self.session = session(self.tables, **self.options)
            self._write = self.session.__enter__()
        return self

    def write(self, rows: dict) -> None:
        for model, model_rows in rows.items():
            self.counts[model] += len(model_rows)
        if self.thread is None:
            self._write(rows)
        else:
            self._put(rows)

    def __exit__(self, error_type, error, traceback) -> None:
        if self.thread is None:
            self.session.__exit__(error_type, error, traceback)
            return
        self._put(ABANDON if error_type else DONE)
        self.thread.join()
        if self.error is not None and error_type is None:
            raise self.error

    def _put(self, item) -> None:
        """Hand over to the writer thread; its error, if it stopped, is raised here."""
        while True:
            if self.error is not None and item is not ABANDON:
                raise self.error
            if not self.thread.is_alive():
                return
            try:
                self.queue.put(item, timeout=1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            with session(self.tables, **self.options) as write:
                while (rows := self.queue.get()) is not DONE:
                    if rows is ABANDON:
                        raise Abandoned
                    write(rows)
        except Abandoned:
            pass
        except BaseException as error:
            self.error = error
        finally:
            connection.close()  # the thread's own connection


def may_skip_reference_checks() -> bool:
    """Only a PostgreSQL superuser may write without the foreign-key triggers."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


# Table and column names come from the models' metadata, quoted.
DANGLING = (
    "SELECT count(*) FROM {table} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
)


def dangling_references() -> list[str]:
    """Every reference in the generated tables that points at no row (what a foreign key
    would refuse), and every history row of a complaint that does not exist."""
    quote = connection.ops.quote_name
    checks = [
        (model._meta.db_table, field.column, target.model._meta.db_table, target.column)
        for model in TABLES
        for field in model._meta.concrete_fields
        if field.is_relation and (target := field.target_field)
    ]
    checks.append((StateLog._meta.db_table, "object_id", Complaint._meta.db_table, "id"))
    problems = []
    with connection.cursor() as cursor:
        for table, column, parent, key in checks:
            names = {"table": table, "column": column, "parent": parent, "key": key}
            cursor.execute(DANGLING.format(**{k: quote(v) for k, v in names.items()}))
            if count := cursor.fetchone()[0]:
                problems.append(f"{table}.{column}: {count} rows point at no {parent} row")
    return problems


def reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(
        no_style(), [m for m in TABLES if m in EXPLICIT_IDS]
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def analyze() -> None:
    """Statistics for the planner, and the visibility map a database in use has (autovacuum
    keeps it): without it every index-only scan reads the table's rows too."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def store_placeholder() -> None:
    """The one file every generated piece of evidence points at."""
    if not default_storage.exists(PLACEHOLDER):
        default_storage.save(PLACEHOLDER, ContentFile(PNG))
