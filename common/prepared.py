"""Reads that every request makes, compiled to SQL once per process instead of per call.

Django turns a queryset into SQL each time it runs it. For a read by key that compiling is
most of the read's cost on the machines measured in docs/benchmarks.md (about 0.6 of a
primary-key read's 0.8 ms; the round trip to PostgreSQL is under 0.1 ms), and the reads
made on every request (the session's user with their store membership) run the same SQL
each time with another key. A `PreparedRead` compiles its queryset once per database
and turns the rows into instances as Django's own `ModelIterable` does (the
model's `from_db`, the field converters, `select_related` populators), so what it returns
is what the queryset would have returned.
"""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# A key no table holds: its one place among the compiled query's parameters is where each
# call's key goes.
_PLACEHOLDER_KEY = -7_319_401_223


class _Compiled:
    def __init__(self, queryset: QuerySet, using: str):
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        places = [i for i, param in enumerate(params) if param == _PLACEHOLDER_KEY]
        if len(places) != 1:
            raise ValueError("A prepared read filters on its key exactly once.")
        self.params, self.key_place = list(params), places[0]
        self.compiler = compiler
        klass_info = compiler.klass_info
        if klass_info is None:  # values_list(): rows, not instances
            return
        select_fields = klass_info["select_fields"]
        self.model = klass_info["model"]
        self.model_columns = slice(select_fields[0], select_fields[-1] + 1)
        self.attnames = [column[0].target.attname for column in compiler.select[self.model_columns]]
        self.related_populators = get_related_populators(klass_info, compiler.select, using)


class PreparedRead:
    """`PreparedRead(lambda key: User.objects.filter(pk=key))`: a queryset that is the same
    for every key (an integer) but for the key itself.

    `.get(key)`: its one row as an instance, as the queryset makes it, or None.
    `.rows(key)`: every row of a `values_list()` queryset, as tuples."""

    def __init__(self, queryset_for_key: Callable[[object], QuerySet]):
        self._queryset_for_key = queryset_for_key
        # Per database alias, not per connection: every thread's connection to one database
        # runs the same SQL, and an entry per connection would keep each thread's connection
        # alive after its thread ended (the compiler refers to it).
        self._compiled: dict[str, _Compiled] = {}

    def get(self, key, using: str = DEFAULT_DB_ALIAS):
        compiled, rows = self._run(key, using, limit=2)
        if len(rows) > 1:
            raise compiled.model.MultipleObjectsReturned(
                f"A prepared read of {compiled.model.__name__} found more than one row."
            )
        for row in compiled.compiler.results_iter([rows]):
            instance = compiled.model.from_db(using, compiled.attnames, row[compiled.model_columns])
            for populator in compiled.related_populators:
                populator.populate(row, instance)
            return instance
        return None

    def rows(self, key, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        compiled, rows = self._run(key, using)
        return list(compiled.compiler.results_iter([rows], tuple_expected=True))

    def _run(self, key, using: str, limit: int | None = None) -> tuple[_Compiled, list]:
        connection = connections[using]
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = _Compiled(self._queryset_for_key(_PLACEHOLDER_KEY), using)
            self._compiled[using] = compiled
        params = list(compiled.params)
        params[compiled.key_place] = key
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return compiled, rows
