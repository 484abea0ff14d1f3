"""One harness run: the web phases, the money figures, and the report around them."""

import datetime
import os
import platform
import sys
from importlib.metadata import version

from .broker import Broker
from .cpu import CpuLedger
from .load import WRK_THREADS, Wrk, require_wrk, wrk_version
from .money import BATCH, PROCESSES, MoneyBench, MoneyOptions
from .pages import (
    BARE,
    FRESH,
    PHASE_TEXT,
    REPEAT,
    LoadBench,
    console_pages,
    consumer_and_seller_pages,
    count_queries,
    lean_page,
    logged_in,
)
from .report import Figure, has_problems, render_report
from .scratch import scratch_database, scratch_name
from .servers import (
    WORKER_CLASS,
    WORKERS,
    ServerSettings,
    effective_settings,
    gunicorn_command,
    running_servers,
)
from .targets import Targets, database_facts, find_targets

SHARED_MACHINE = (
    "The machine's two cores are shared with other work: read each figure with its "
    "baseline's, measured beside it in the same round, and with the load average and the "
    "whole machine's CPU below."
)
FEW_RUNS = "Fewer than 3 runs per figure: a trial, not figures for the docs."
SECTION_TITLES = {
    FRESH: ("Pages rendered afresh (page caches off)", "Console (rendered afresh)"),
    REPEAT: ("Pages, repeat views (page caches on)", "Console, repeat views"),
}


def wants(args, part: str) -> bool:
    return args.only in (part, "all")


def wants_web(args) -> bool:
    return wants(args, "pages") or wants(args, "console")


# --- the report's header -----------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return f"{pages * page_size / 2**30:.0f} GiB"


def _load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_facts(args) -> list[tuple[str, str]]:
    software = (
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"gunicorn {version('gunicorn')}, psycopg {version('psycopg')}, "
        f"Celery {version('celery')}"
    )
    if wants_web(args):
        software += f", {wrk_version()}"
    return [
        (
            "machine",
            f"{platform.node()}: {os.cpu_count()} cores ({_cpu_model()}), {_memory()}, "
            f"{platform.system()} {platform.release()}",
        ),
        ("software", software),
        ("load average at start (1/5/15 min)", _load_average()),
    ]


def _server_settings(args, secret_key: str, phase: str) -> ServerSettings:
    return ServerSettings(
        database_url=args.database_url,
        redis_url=args.redis_url,
        broker_url=args.broker_url,
        secret_key=secret_key,
        page_cache_off=phase == FRESH,
    )


def run_facts(args, targets: Targets | None, secret_key: str) -> list[tuple[str, str]]:
    facts = [("parts", args.only), ("runs per figure", str(args.runs))]
    if targets is not None:
        command = " ".join(["gunicorn", *gunicorn_command(0)[3:]]).replace(":0 ", ":<port> ")
        phases = ", ".join(
            f"{phase}: DJANGO_PAGE_CACHE={'off' if phase == FRESH else 'unset (on)'}"
            for phase in _phases(args)
        )
        facts += [
            (
                "servers",
                f"app and baselines alike: `{command}`, with "
                f"`{_server_settings(args, secret_key, FRESH).described()}` "
                f"(the page cache per phase: {phases}); "
                + (
                    f"shared cache REDIS_URL={args.redis_url} (cached_db sessions)"
                    if args.redis_url
                    else "no REDIS_URL (each worker's local memory cache, database sessions)"
                ),
            ),
            (
                "load",
                f"wrk, {WRK_THREADS} thread, {args.connections} connections, "
                f"{args.duration:g} s per run after {args.warmup:g} s of warm-up per URL",
            ),
            (
                "measured as",
                f"consumer {targets.consumer} ({targets.consumer_complaints} complaints; "
                f"complaint page {targets.complaint_number}); seller {targets.seller} "
                f"(store {targets.store_code}, {targets.store_complaints:,} complaints); "
                f"console {targets.reviewer} (case {targets.case_pk}, {targets.case_number}, "
                f"{targets.case_status})",
            ),
        ]
    if wants(args, "money"):
        facts.append(
            (
                "money sizes per run",
                f"sweep {args.sweep_complaints:,} on {args.sweep_stores} store(s); "
                f"{args.payouts:,} decisions; {args.payout_calls:,} pay_out calls; "
                f"{args.filings:,} filings; {args.limit_seconds:g} s per one-row limit; in "
                f"`{scratch_name()}` (migrated empty beside the load database, dropped after)",
            )
        )
    return facts


def method_text(args, queued: int) -> list[str]:
    """The method, as the docs should state it, for the parts this run measured."""
    text = [
        f"Every figure is taken in {args.runs} round{'s' if args.runs > 1 else ''}; the tables "
        "give the minimum and the "
        "median over the rounds, and the figure's ratio to its baseline measured in the "
        "same round. A target is judged on the medians; a figure whose checks failed is not "
        "met, however fast."
    ]
    if wants_web(args):
        text.append(
            f"Two gunicorn servers run side by side with the same settings ({WORKERS} "
            f"{WORKER_CLASS} workers each, DEBUG off, the load database on PostgreSQL; "
            "checked at start: the workers counted, a 404 without Django's debug page): the "
            "app (`deposit_claims.urls`) and the baselines (`deposit_claims.bench_urls`, the "
            "app's URLs plus two views). The bare view `/__bench__/ok` answers `ok` through "
            "the middleware, with no session and no query. The page limit `/__bench__/page` "
            "is the least a logged-in page costs: the session and the user, one query for the "
            "consumer's 20 latest complaints and one small template. The load is Debian's "
            f"wrk ({WRK_THREADS} thread, {args.connections} connections, {args.duration:g} s "
            f"per run after {args.warmup:g} s of warm-up per URL); sync workers close each "
            "connection, so every request, the baselines' too, opens one. Each page's run "
            "is preceded and followed by a run of the bare view on the same servers; the "
            "page's ratio is its req/s over the mean of those two."
        )
        text.append(
            "The harness's users log in through the login form (one session each, logged "
            "out at the end; the console user passes the second step with a recovery code "
            "made for that login). Before its runs each page is fetched once and must answer 200 "
            "and show what it must (its complaint's number; only the consumer's or the "
            "store's complaints; the searched case); during the runs a wrk hook counts every "
            "response that is not 200. A page that fails either (a redirect to the login "
            "page, a 404, a 500, an empty list) is reported as a problem, not as a figure. "
            "Queries are counted in the harness's own process, on a second render of the "
            "page with the page caches off."
        )
    if wants(args, "pages"):
        cache = (
            f"the shared Redis cache REDIS_URL={args.redis_url}"
            if args.redis_url
            else "no REDIS_URL"
        )
        text.append(
            "Party pages are measured twice, each time on servers started afresh: rendered "
            "afresh (DJANGO_PAGE_CACHE=off: no page cache) and as repeat views of unchanged "
            f"data (DJANGO_PAGE_CACHE unset, the app's default: page caches on, {cache}; "
            "the warm-up fills them). Each phase checks first, in a process started with "
            "the servers' environment, that Django reads PAGE_CACHE as the phase needs "
            "(and DEBUG off, tasks not run inline). The console is measured rendered afresh."
        )
    if wants(args, "money"):
        text.append(
            "The write figures run in the harness's process and in forked workers "
            f"({PROCESSES} processes, one per core, started together at a barrier, each with "
            f"its own connection) against a scratch database, `{scratch_name()}`, migrated "
            "empty beside the load database and dropped after. The rows each figure starts "
            "from are bulk-created as the services leave them, and not timed; then the "
            "planner's statistics are brought up to date (`ANALYZE`, not timed), as "
            "autovacuum keeps a live database's. The one-row "
            "limits are a bare loop that locks the one row of a table of its own (`FOR "
            "UPDATE`) and updates it, committing after each update or after every "
            f"{BATCH}, for {args.limit_seconds:g} s, in 1 and {PROCESSES} processes: what "
            "PostgreSQL allows one hot row on this machine (each payout from one deposit and "
            "each sweep step on one store serialises on the store's deposit row). Each "
            "service figure's ratio is to the unbatched limit in as many processes, measured "
            "in the same round. After each figure its effects are checked: every step "
            "applied exactly once (one transition, one hold, one payout entry and one "
            "disbursement, one complaint per order) and the ledger audit clean."
        )
    text.append(
        "As in production, the measured processes (the servers and the in-process workers) "
        "queue their e-mail tasks to a Celery broker, "
        f"CELERY_BROKER_URL={args.broker_url}, instead of running them inline; no worker "
        "consumes them, so the figures include queueing each task but not sending it. The "
        "harness empties that Redis database at the end of the run "
        f"({queued:,} messages queued this run). E-mail sent without a task goes to "
        "Django's locmem backend (DJANGO_EMAIL_BACKEND=django.core.mail.backends.locmem."
        "EmailBackend), text messages to `outbox.sms.LocmemBackend`."
    )
    return text


# --- the web phases ---------------------------------------------------------------------------


def _phases(args) -> list[str]:
    return [FRESH, REPEAT] if wants(args, "pages") else [FRESH]


def _method(args, phase: str) -> str:
    return f"wrk, {args.connections} connections × {args.duration:g} s, {PHASE_TEXT[phase]}"


def _pages_of_phase(args, targets: Targets, phase: str, pages_ok: bool = True):
    party = wants(args, "pages") and pages_ok
    pages = consumer_and_seller_pages(targets, phase) if party else []
    console = console_pages(targets) if wants(args, "console") and phase == FRESH else []
    if console and not pages:
        # The page limit is measured once per phase, in its first section.
        console.insert(0, lean_page(targets))
    return pages, console


def _attach_queries(figures: list[Figure], queries: dict[str, int | str]) -> None:
    for figure in figures:
        count = queries.get(figure.what)
        figure.queries = count if isinstance(count, int) else None


def _measure_phase(
    args, bench: LoadBench, targets: Targets, phase: str, unmeasured: list[str], pages_ok: bool
):
    """Check, count, warm up, then load every page of the phase; returns its figures."""
    pages, console = _pages_of_phase(args, targets, phase, pages_ok)
    unanswered = bench.unanswered(pages + console)
    if BARE in unanswered:
        unmeasured.append(
            f"every page of the {phase} phase: the bare view `{BARE.path}` answered "
            f"{unanswered[BARE]}"
        )
        return []
    pages_title, console_title = SECTION_TITLES[phase]
    failed = [
        Figure(
            title,
            page.what,
            f"`{page.path}` on the {page.server} server as {page.user}",
            target=page.target,
            problems=[f"not measured: `{page.path}` answered {unanswered[page]}"],
        )
        for title, members in ((pages_title, pages), (console_title, console))
        for page in members
        if page in unanswered
    ]
    pages = [p for p in pages if p not in unanswered]
    console = [p for p in console if p not in unanswered]
    # In process the harness renders with caches off: the counts belong to the fresh phase.
    queries = (
        {p.what: count_queries(p, bench.sessions[p.user]) for p in pages + console}
        if phase == FRESH
        else {}
    )
    for what, count in queries.items():
        if isinstance(count, str):
            unmeasured.append(f"the queries of {what}: {count}")
    bench.warm_up(pages + console)
    figures = []
    for section, members in ((pages_title, pages), (console_title, console)):
        if members:
            print(f"  {section}: {len(members)} pages × {args.runs} runs", file=sys.stderr)
            measured = bench.measure(
                members, runs=args.runs, section=section, method=_method(args, phase)
            )
            _attach_queries(measured, queries)
            figures += measured
        figures += [figure for figure in failed if figure.section == section]
    return figures


def _probe_phase(args, secret_key: str, phase: str, unmeasured: list[str], probes: dict):
    """The servers' settings as Django reads them; False if the phase cannot be what it
    says (caches on for fresh pages, off for repeat views)."""
    probe = effective_settings(_server_settings(args, secret_key, phase))
    probes[phase] = probe
    if probe["DEBUG"] is not False or probe["CELERY_TASK_ALWAYS_EAGER"] is not False:
        raise RuntimeError(f"the servers would run with DEBUG or eager tasks: {probe}")
    if not wants(args, "pages"):
        return True
    cache = probe["PAGE_CACHE"]
    if phase == FRESH and cache not in (False, "(none)"):
        unmeasured.append(
            f"party pages rendered afresh: the servers' PAGE_CACHE is {cache} "
            "with DJANGO_PAGE_CACHE=off"
        )
        return False
    if phase == REPEAT and cache is not True:
        unmeasured.append(
            f"repeat views: the servers' PAGE_CACHE is {cache} (the app caches pages only "
            "with a cache every process shares: give --redis-url)"
        )
        return False
    return True


def web_figures(
    args,
    *,
    targets: Targets,
    secret_key: str,
    cpu: CpuLedger,
    unmeasured: list[str],
    probes: dict,
) -> list[Figure]:
    """Per phase, fresh servers side by side (app, bench) and one login per user."""
    wrk = Wrk(connections=args.connections)
    users = {targets.consumer, targets.seller, targets.reviewer}
    figures: list[Figure] = []
    for phase in _phases(args):
        pages_ok = _probe_phase(args, secret_key, phase, unmeasured, probes)
        if not pages_ok and not (phase == FRESH and wants(args, "console")):
            continue
        print(f"web phase {phase}: starting the servers", file=sys.stderr)
        with (
            cpu.measure(f"web phase '{phase}'", children="gunicorn servers (both)"),
            running_servers(_server_settings(args, secret_key, phase)) as servers,
            logged_in(servers["app"].base_url, users, args.password) as sessions,
        ):
            bench = LoadBench(
                wrk=wrk,
                servers=servers,
                sessions=sessions,
                seconds=args.duration,
                warmup=args.warmup,
                cpu=cpu,
            )
            figures += _measure_phase(args, bench, targets, phase, unmeasured, pages_ok)
            for server in servers.values():
                if errors := server.errors():
                    unmeasured.append(
                        f"the {server.name} server logged errors ({phase}):\n```\n{errors}\n```"
                    )
    return figures


# --- the money figures ----------------------------------------------------------------------


def money_figures(args, *, cpu: CpuLedger) -> list[Figure]:
    options = MoneyOptions(
        sweep_complaints=args.sweep_complaints,
        sweep_stores=args.sweep_stores,
        payouts=args.payouts,
        payout_calls=args.payout_calls,
        filings=args.filings,
        limit_seconds=args.limit_seconds,
        broker_url=args.broker_url,
    )
    print(f"money figures: creating {scratch_name()}", file=sys.stderr)
    with (
        cpu.measure("money figures", children="forked workers"),
        scratch_database(),
    ):
        bench = MoneyBench(options)
        bench.run(args.runs)
        return bench.figures()


# --- the run -----------------------------------------------------------------------------------


def _title(args, started: datetime.datetime, database: str) -> str:
    parts = {"all": "pages, console, money", "pages": "pages", "console": "console"}
    return (
        f"Run of {started:%Y-%m-%d %H:%M} — `scripts/bench.py` "
        f"({parts.get(args.only, args.only)}; `{database}`)"
    )


def run(args, *, secret_key: str, command: str) -> tuple[str, bool]:
    """The report, and whether it holds a problem (a failed check, a page not measured)."""
    from django.db import connection

    cpu = CpuLedger()
    started = datetime.datetime.now().astimezone()
    broker = Broker(args.broker_url)
    # Emptied at the end only: until then what is there is no concern of the figures,
    # which count the messages each of them adds.
    waiting = broker.queued()
    header = [("command", f"`{command}`"), ("date", started.isoformat(timespec="seconds"))]
    header += machine_facts(args) + database_facts()
    figures: list[Figure] = []
    unmeasured: list[str] = []
    notes = [SHARED_MACHINE] if args.runs >= 3 else [FEW_RUNS, SHARED_MACHINE]
    if waiting:
        notes.append(
            f"{waiting:,} messages were in the broker's Redis database at the start (left by "
            "an earlier run, or queued by another program: give the harness a database of "
            "its own); they were purged with the run's at the end."
        )
    targets = None
    probes: dict[str, dict] = {}
    try:
        if wants_web(args):
            require_wrk()
            targets = find_targets(
                consumer=args.consumer, seller=args.seller, reviewer=args.reviewer
            )
            figures += web_figures(
                args,
                targets=targets,
                secret_key=secret_key,
                cpu=cpu,
                unmeasured=unmeasured,
                probes=probes,
            )
        if wants(args, "money"):
            figures += money_figures(args, cpu=cpu)
    finally:
        queued = broker.purge() - waiting
    header += run_facts(args, targets, secret_key)
    for phase, probe in probes.items():
        shown = ", ".join(f"{name}={value}" for name, value in probe.items())
        header.append((f"servers' settings as Django reads them, {phase} phase", shown))
    header.append(("load average at end (1/5/15 min)", _load_average()))
    elapsed = datetime.datetime.now().astimezone() - started
    header.append(("duration", str(elapsed).split(".")[0]))
    report = render_report(
        title=_title(args, started, connection.settings_dict["NAME"]),
        header=header,
        method=method_text(args, queued),
        figures=figures,
        cpu=cpu.render(),
        unmeasured=unmeasured,
        notes=notes,
    )
    return report, has_problems(figures, unmeasured)
