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

# A list is counted no further than this many pages beyond the page asked for: a busy
# store's 20,000 complaints are not counted at every view of its first page (1.3 ms of
# PostgreSQL at a million complaints, more under load), which then reads "of at least 12".
PAGES_COUNTED_AHEAD = 10


class ShortListPaginator(Paginator):
    """Reads the first page before counting: a first page that is not full is the whole
    list, and its rows are the count, so most people's lists (a consumer's complaints, a
    small store's orders) cost one query instead of a COUNT and a page. A full first page
    counts, when the page's links ask, at most `PAGES_COUNTED_AHEAD` pages beyond the page
    asked for: `counted_to_end` says whether `count` (and so `num_pages`) is the list's
    length or only what it has at least. Within that, every page is Django's own.

    `first_rows(n)` and `count(limit)`, where given, read the list's first n rows and its
    length up to `limit` instead of the queryset: reads of the same list compiled once (a
    party's list as most people see it, unsearched), where the queryset would be compiled at
    every request."""

    def __init__(self, object_list, per_page, *, first_rows=None, count=None, **options):
        super().__init__(object_list, per_page, **options)
        self._first_rows = first_rows
        self._count = count
        self._asked = 1
        self.counted_to_end = True

    @cached_property
    def count(self):
        limit = (self._asked + PAGES_COUNTED_AHEAD) * self.per_page + self.orphans + 1
        if self._count is not None:
            counted = self._count(limit)
        else:
            counted = self.object_list[:limit].count()
        self.counted_to_end = counted < limit
        return counted

    def get_page(self, number):
        self._asked = _page_number(number)
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


# Beyond any list's last page; a number past it would make a limit no database takes.
_LAST_PAGE_ASKED = 10**6


def _page_number(number) -> int:
    """The page a request asks for, as far as it names one: what the count must reach."""
    try:
        return min(max(int(number), 1), _LAST_PAGE_ASKED)
    except (TypeError, ValueError):
        return 1
