"""Reads that every request makes, compiled to SQL once per process instead of per call.

Django turns a queryset into SQL each time it runs it. For a read by key that compiling is
most of the read's cost on the machines measured in docs/benchmarks.md (about 0.6 of a
primary-key read's 0.8 ms; the round trip to PostgreSQL is under 0.1 ms), and the reads
made on every request (the session's user with their store membership) run the same SQL
each time with another key. A `PreparedRead` compiles its queryset once per database
and turns the rows into instances as Django's own `ModelIterable` does (the model's
`from_db`, the field converters, `select_related` populators, annotations), so what it
returns is what the queryset would have returned.
"""

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Values no table holds, one per key: each one's place among the compiled query's
# parameters is where each call's key goes.
_PLACEHOLDER_INTEGER = -7_319_401_223
_PLACEHOLDER_MOMENT = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


# The keys a row can have: every integer column is at most a 64-bit signed integer.
_INT64 = range(-(2**63), 2**63)


def _placeholder(kind: type, position: int):
    if kind is int:
        return _PLACEHOLDER_INTEGER - position
    if kind is str:
        return f"\x1fprepared-read-key-{position}"
    if kind is datetime:
        return _PLACEHOLDER_MOMENT + timedelta(seconds=position)
    raise TypeError(f"A prepared read's key is an int, a str or a datetime, not {kind}.")


def _adapter(kind: type, connection) -> Callable:
    """How the database takes a key of `kind` as a parameter (SQLite takes a moment as
    text, in the connection's time zone)."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value
    return lambda value: value


class _Compiled:
    def __init__(self, queryset: QuerySet, using: str, placeholders: list, kinds: tuple):
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.adapters = [_adapter(kind, compiler.connection) for kind in kinds]
        self.places = []
        for placeholder, adapt in zip(placeholders, self.adapters, strict=True):
            places = [i for i, param in enumerate(params) if param == adapt(placeholder)]
            if len(places) != 1:
                raise ValueError("A prepared read filters on each of its keys exactly once.")
            self.places.append(places[0])
        self.compiler = compiler
        klass_info = compiler.klass_info
        if klass_info is None:  # values_list(): rows, not instances
            return
        select_fields = klass_info["select_fields"]
        self.model = klass_info["model"]
        self.model_columns = slice(select_fields[0], select_fields[-1] + 1)
        self.attnames = [column[0].target.attname for column in compiler.select[self.model_columns]]
        self.related_populators = get_related_populators(klass_info, compiler.select, using)
        self.annotations = list(compiler.annotation_col_map.items())

    def params_for(self, keys: tuple) -> list:
        if len(keys) != len(self.places):
            raise TypeError(f"This prepared read takes {len(self.places)} key(s).")
        params = list(self.params)
        for place, adapt, key in zip(self.places, self.adapters, keys, strict=True):
            params[place] = adapt(key)
        return params


class PreparedRead:
    """`PreparedRead(lambda key: User.objects.filter(pk=key))`: a queryset that is the same
    for every key but for the key itself. Its keys are integers unless `keys` names their
    types (`int`, `str` or `datetime`), one per argument of the function:
    `PreparedRead(lambda user_id, since: …, keys=(int, datetime))`.

    `.get(*keys)`: its one row as an instance, as the queryset makes it, or None.
    `.all(*keys)`: its rows as instances.
    `.rows(*keys)`: every row of a `values_list()` queryset, as tuples."""

    def __init__(self, queryset_for_keys: Callable[..., QuerySet], *, keys: tuple = ()):
        arity = len(inspect.signature(queryset_for_keys).parameters)
        self._kinds = tuple(keys) or (int,) * arity
        if len(self._kinds) != arity:
            raise TypeError("Name the type of each key the function takes.")
        self._queryset_for_keys = queryset_for_keys
        # Per database alias (and whether it reads one row), not per connection: every
        # thread's connection to one database runs the same SQL, and an entry per connection
        # would keep each thread's connection alive after its thread ended (the compiler
        # refers to it).
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def get(self, *keys, using: str = DEFAULT_DB_ALIAS):
        compiled, rows = self._run(keys, using, limit=2, unordered=True)
        if len(rows) > 1:
            raise compiled.model.MultipleObjectsReturned(
                f"A prepared read of {compiled.model.__name__} found more than one row."
            )
        instances = self._instances(compiled, rows, using)
        return instances[0] if instances else None

    def all(self, *keys, using: str = DEFAULT_DB_ALIAS) -> list:
        compiled, rows = self._run(keys, using)
        return self._instances(compiled, rows, using)

    def rows(self, *keys, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        compiled, rows = self._run(keys, using)
        return list(compiled.compiler.results_iter([rows], tuple_expected=True))

    def _compile(self, queryset: QuerySet, using: str, placeholders: list) -> _Compiled:
        return _Compiled(queryset, using, placeholders, self._kinds)

    @staticmethod
    def _instances(compiled: _Compiled, rows: list, using: str) -> list:
        instances = []
        for row in compiled.compiler.results_iter([rows]):
            instance = compiled.model.from_db(using, compiled.attnames, row[compiled.model_columns])
            for populator in compiled.related_populators:
                populator.populate(row, instance)
            for name, position in compiled.annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances

    def _run(
        self,
        keys: tuple,
        using: str,
        limit: int | None = None,
        unordered: bool = False,
        more_params: tuple = (),
    ) -> tuple[_Compiled, list]:
        connection = connections[using]
        compiled = self._compiled.get((using, unordered))
        if compiled is None:
            placeholders = [_placeholder(kind, i) for i, kind in enumerate(self._kinds)]
            queryset = self._queryset_for_keys(*placeholders)
            if unordered and queryset.query.can_filter() and not queryset.query.distinct_fields:
                # As QuerySet.get() reads one row: without the model's default ordering, which
                # may join another table (and a lock would then lock its row too).
                queryset = queryset.order_by()
            compiled = self._compile(queryset, using, placeholders)
            self._compiled[(using, unordered)] = compiled
        if any(isinstance(key, int) and not _INT64.start <= key < _INT64.stop for key in keys):
            # No row has such a key, and a database may refuse it (SQLite raises): as the
            # ORM does for an out-of-range integer lookup, nothing is found.
            return compiled, []
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [*compiled.params_for(keys), *more_params])
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return compiled, rows


class PreparedCount(PreparedRead):
    """`PreparedCount(lambda store_id: Complaint.objects.filter(merchant=store_id))`:
    `.count(*keys, up_to=n)` is how many rows the queryset has, counted no further than n,
    as `QuerySet.count()` counts a slice (COUNT(*) over the rows' keys as a subquery). The
    bound is a parameter of the SQL compiled once, not part of it."""

    def _compile(self, queryset: QuerySet, using: str, placeholders: list) -> _Compiled:
        compiled = super()._compile(queryset.order_by().values_list("pk"), using, placeholders)
        compiled.sql = f"SELECT COUNT(*) FROM ({compiled.sql} LIMIT %s) counted"  # noqa: S608
        return compiled

    def count(self, *keys, up_to: int, using: str = DEFAULT_DB_ALIAS) -> int:
        _compiled, rows = self._run(keys, using, more_params=(up_to,))
        return rows[0][0] if rows else 0


class PreparedPrefetch:
    """`PreparedPrefetch("offers", lambda pk: Offer.objects.filter(complaint_id=pk))`: one
    instance's rows of a reverse foreign key, read by a `PreparedRead` of the instance's
    key and handed to `instance.offers.all()` as `prefetch_related` hands them (each row's
    foreign key already pointing to the instance): the same rows, in the queryset's order,
    without compiling the query again on every page."""

    def __init__(self, accessor: str, queryset_for_key: Callable[[int], QuerySet]):
        self.accessor = accessor
        self._read = PreparedRead(queryset_for_key)

    def __call__(self, instance) -> list:
        rows = self._read.all(instance.pk)
        hand_over(instance, self.accessor, rows)
        return rows


def hand_over(instance, accessor: str, rows: list) -> None:
    """Give `instance.<accessor>.all()` these rows, read already, as a prefetch would."""
    manager = getattr(instance, accessor)
    for row in rows:
        manager.field.set_cached_value(row, instance)
    queryset = manager.all()
    queryset._result_cache, queryset._prefetch_done = rows, True
    cache = getattr(instance, "_prefetched_objects_cache", {})
    instance._prefetched_objects_cache = {**cache, accessor: queryset}
