"""The console's complaint list reads an index at scale, whatever the filter or search; so
does the busy store's overview.

100,000 complaints are built by the load-data generator's bulk path (as the benchmark
builds a million), the tables analysed, and every query the admin changelist runs on
the complaints table is run under EXPLAIN ANALYZE: none scans the table sequentially,
and none reads or sorts more than a tenth of it (an index walked to the end to filter it
is a sequential scan by another name).

PostgreSQL only: these are PostgreSQL's plans. Run with DATABASE_URL=postgres://...
"""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from disputes import party_lists
from disputes.loaddata import Names, generate
from disputes.models import Appeal, Complaint, InfoRequest
from merchants.models import Merchant

pytestmark = pytest.mark.postgres

COMPLAINTS = 100_000
TABLE = Complaint._meta.db_table


# A page reads at most this share of the table; a full table takes seconds at a million.
MOST_READ = 0.1


def _table_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [TABLE])
        return cursor.fetchone()[0]


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _examined(node: dict) -> int:
    """Rows a plan node read, over all its loops (EXPLAIN reports them per loop)."""
    per_loop = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
    return round(per_loop * node["Actual Loops"])


def _problems(node: dict, table_rows: int) -> list[str]:
    """What in this executed plan reads or sorts (nearly) the whole complaints table."""
    problems = []
    kind, most = node["Node Type"], table_rows * MOST_READ
    if node.get("Relation Name") == TABLE:
        if kind == "Seq Scan":
            problems.append(f"Seq Scan on {TABLE}")
        elif _examined(node) > most:
            index = node.get("Index Name", "")
            problems.append(
                f"{kind} {index} read {_examined(node)} of {table_rows} rows "
                f"to return {node['Actual Rows']}"
            )
    if kind in ("Sort", "Incremental Sort"):
        sorted_rows = sum(_examined(child) for child in node.get("Plans", []))
        if sorted_rows > most:
            problems.append(f"a Sort of {sorted_rows} of the table's {table_rows} rows")
    for child in node.get("Plans", []):
        problems.extend(_problems(child, table_rows))
    return problems


def explain(sql: str) -> dict:
    """The plan of `sql` as run (the console's reads only: running them changes nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _text_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def complaint_queries(captured) -> list[str]:
    """The SELECTs the page ran on the complaints table (the paginator's own EXPLAIN
    aside), with their parameters in place."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and f'"{TABLE}"' in query["sql"]
    ]


def pages() -> list[tuple[str, str, dict]]:
    """Each list the console shows: (what, who looks, the query string)."""
    names = Names(seed=1)
    complaint = Complaint.objects.select_related("order").order_by("pk")[COMPLAINTS // 3]
    return [
        ("the default list", "admin", {}),
        ("status: negotiating", "admin", {"status__exact": "negotiating"}),
        ("status: under review", "admin", {"status__exact": "under_review"}),
        ("status: waiting for approval", "admin", {"status__exact": "awaiting_approval"}),
        ("the reviewer's own queue", "reviewer", {"assigned": "me"}),
        ("waiting for a reviewer", "admin", {"assigned": "nobody"}),
        ("decision overdue", "admin", {"decision_overdue__exact": "1"}),
        ("search: a complaint number", "admin", {"q": complaint.number}),
        ("search: a day's complaint numbers", "admin", {"q": complaint.number[:10]}),
        ("search: an order number", "admin", {"q": complaint.order.order_number}),
        ("search: a consumer's login", "admin", {"q": names.consumer(1234).split("@")[0]}),
        ("search: a consumer's e-mail", "admin", {"q": names.consumer(12345)[:16]}),
    ]


def console_users() -> dict[str, User]:
    admin = User.objects.create_superuser(username="plans-admin@example.com", password="x")
    # The generated reviewers take cases round robin: the first has a twentieth of them.
    reviewer = User.objects.get(username=Names(seed=1).reviewer(1))
    return {"admin": admin, "reviewer": reviewer}


def test_every_console_list_and_the_busy_store_overview_read_an_index_at_100000_complaints(client):
    started = time.monotonic()
    generate(complaints=COMPLAINTS, seed=1)
    print(f"\n{COMPLAINTS} complaints generated in {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    table_rows = _table_rows()
    users = console_users()
    url = reverse("admin:disputes_complaint_changelist")
    problems, explained = [], 0
    for what, who, params in pages():
        client.force_login(users[who])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
        assert response.status_code == 200, what
        assert response.context["cl"].result_list, f"{what}: the page lists nothing"
        for sql in complaint_queries(captured):
            explained += 1
            for problem in _problems(explain(sql), table_rows):
                problems.append(f"{what}: {problem}\n{sql}\n{_text_plan(sql)}")
    assert explained >= len(pages())
    check_store_overview(problems)
    assert not problems, "\n\n".join(problems)


def _rows_examined(plan: dict, table: str) -> int:
    return sum(_examined(node) for node in _nodes(plan) if node.get("Relation Name") == table)


def waiting_reads_sql(merchant) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert party_lists.waiting_for_merchant(merchant, limit=10)
    return [query["sql"] for query in captured.captured_queries]


def check_store_overview(problems: list[str]) -> None:
    """The waiting list probes each complaint's open request or appeal as it walks the
    store's queue: it reads no more of those tables than of the complaints it walks (as a
    join, PostgreSQL would hash every open appeal of every store)."""
    merchant = Merchant.objects.get(code=Names(seed=1).store(1))
    for sql in waiting_reads_sql(merchant):
        plan = explain(sql)
        walked = _rows_examined(plan, TABLE)
        for model in (Appeal, InfoRequest):
            probed = _rows_examined(plan, model._meta.db_table)
            if probed > walked:
                problems.append(
                    f"the store overview: read {probed} rows of {model._meta.db_table} "
                    f"for {walked} complaints\n{sql}\n{_text_plan(sql)}"
                )
