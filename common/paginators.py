"""Pagination that never counts millions of rows."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap; above it the planner's estimate is used.
EXACT_COUNT_LIMIT = 10_000


class EstimatedCountPaginator(Paginator):
    """Counts small results exactly and estimates large ones from the PostgreSQL planner.

    COUNT(*) over millions of rows would make every changelist page slow.
    """

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            sql, params = queryset.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate > EXACT_COUNT_LIMIT:
                return estimate
        return super().count


# How a request names the first page: no page at all, or page 1.
FIRST_PAGE = frozenset({None, "", "1", 1})


class ShortListPaginator(Paginator):
    """Reads the first page before counting: a first page that is not full is the whole
    list, and its rows are the count, so most people's lists (a consumer's complaints, a
    small store's orders) cost one query instead of a COUNT and a page. A full first page
    counts as Django does, when the page's links ask; any other page is Django's own.

    `first_rows(n)` and `count()`, where given, read the list's first n rows and its length
    instead of the queryset: reads of the same list compiled once (a party's list as most
    people see it, unsearched), where the queryset would be compiled at every request."""

    def __init__(self, object_list, per_page, *, first_rows=None, count=None, **options):
        super().__init__(object_list, per_page, **options)
        self._first_rows = first_rows
        self._count = count

    @cached_property
    def count(self):
        return self._count() if self._count is not None else super().count

    def get_page(self, number):
        if number not in FIRST_PAGE:
            return super().get_page(number)
        fits = self.per_page + self.orphans
        if self._first_rows is not None:
            rows = self._first_rows(fits + 1)
        else:
            rows = list(self.object_list[: fits + 1])
        if len(rows) <= fits:
            if not rows and not self.allow_empty_first_page:
                return super().get_page(number)
            self.count = len(rows)
            return self._get_page(rows, 1, self)
        return self._get_page(rows[: self.per_page], 1, self)
