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
