"""The performance issue's (#9) figures, each beside its baseline from the same run.

    .venv/bin/python scripts/bench.py --database-url postgres://postgres@127.0.0.1/claims_load
        [--redis-url redis://127.0.0.1:6379/1] [--broker-url redis://127.0.0.1:6379/15]
        [--runs 3] [--duration 10] [--connections 4] [--warmup 2]
        [--only pages|console|money|all] [--out /tmp/bench-report.md]

- pages and console: gunicorn serves the app and, beside it with the same settings (2 sync
  workers, DEBUG off), the app with the baselines (`deposit_claims.bench_urls`: a bare
  view and a lean page, the page limit); Debian's wrk (`apt-get install -y wrk`) loads
  each page between two runs of the bare view, as the load generator's users
  (`manage.py generate_load_data`, password `load-2026`): party pages first with
  DJANGO_PAGE_CACHE=off ("fresh"), then with caches on ("repeat"); the console fresh.
  A page that does not answer 200 with what it must show is a problem, not a figure.
  The load database is only read (the harness's logins write their session rows, and
  its logouts remove them; the console user's second step uses a recovery code made for
  each login, beside an authenticator app of the harness's).
- money: the deadline sweep, payouts on one deposit, filing and the one-row limits run in
  process against a scratch database of their own (`claims_bench_scratch_<pid>`,
  dropped after).

Every process measured queues its Celery tasks to --broker-url (a Redis database of the
harness's own, emptied at the end) and sends direct e-mail to the locmem backend.

The report is a section for docs/benchmarks.md (`##` title, facts, method, tables,
checks), printed and written to --out. Exit status: 0, or 1 if a check failed or a page
could not be measured (the report says which), 2 if the run failed (no report),
130 if interrupted. The servers and the
worker processes are stopped whatever ends the run (Ctrl+C, SIGTERM, an error).

A small database to try it on (a few minutes):

    createdb -h 127.0.0.1 -U postgres claims_benchsmall
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/claims_benchsmall
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_load_data --complaints 5000
    .venv/bin/python scripts/bench.py --database-url $DATABASE_URL --duration 3 \\
        --sweep-complaints 500 --payouts 200 --payout-calls 400 --filings 100
"""

import argparse
import os
import re
import secrets
import shlex
import signal
import sys
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from benchlib.broker import DEFAULT_BROKER_URL, check_broker_url  # noqa: E402

PARTS = ("pages", "console", "money", "all")
FAILED = 2
INTERRUPTED = 130


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the load database (PostgreSQL)")
    parser.add_argument("--redis-url", default="", help="shared cache and cached_db sessions")
    parser.add_argument(
        "--broker-url",
        default=DEFAULT_BROKER_URL,
        help="Celery broker the measured processes queue to (a Redis db the harness empties)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of every figure (≥ 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk per URL first")
    parser.add_argument("--only", choices=PARTS, default="all")
    parser.add_argument("--out", default="/tmp/bench-report.md")  # noqa: S108 - a report
    parser.add_argument("--password", default="load-2026", help="the load users' password")
    parser.add_argument("--consumer", help="consumer to log in as (default: the busiest)")
    parser.add_argument("--seller", help="store login (default: the owner of load-store-1)")
    parser.add_argument("--reviewer", help="console login (default: load-reviewer-1)")
    parser.add_argument("--sweep-complaints", type=int, default=5000)
    parser.add_argument("--sweep-stores", type=int, default=1, help="stores the sweep spans")
    parser.add_argument("--payouts", type=int, default=1000, help="complaints decided per run")
    parser.add_argument("--payout-calls", type=int, default=2000, help="pay_out calls per run")
    parser.add_argument("--filings", type=int, default=500, help="complaints filed per run")
    parser.add_argument("--limit-seconds", type=float, default=3, help="per one-row limit run")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must name a PostgreSQL database")
    if problem := check_broker_url(args.broker_url):
        parser.error(f"--broker-url: {problem}")
    if args.redis_url and args.redis_url.rstrip("/") == args.broker_url.rstrip("/"):
        parser.error("--redis-url and --broker-url must be different Redis databases")
    if min(args.runs, args.duration, args.warmup, args.connections) < 1:
        parser.error("--runs, --duration, --warmup and --connections must be at least 1")
    sizes = (args.sweep_complaints, args.sweep_stores, args.payouts, args.filings)
    if min(sizes) < 1 or args.payout_calls < 2 or args.limit_seconds <= 0:
        parser.error("the money sizes must be positive (--payout-calls at least 2)")
    return args


def configure_django(args: argparse.Namespace, secret_key: str) -> None:
    """The harness reads the database with the servers' settings (and their secret key, so
    the sessions it logs in over HTTP are valid in process too), and its in-process
    workers queue their tasks and send their e-mail as the servers do."""
    for name in [name for name in os.environ if name.startswith(("DJANGO_", "CELERY_"))]:
        del os.environ[name]
    os.environ.pop("REDIS_URL", None)
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "deposit_claims.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SMS_BACKEND": "outbox.sms.LocmemBackend",
        "CELERY_BROKER_URL": args.broker_url,
        # The harness counts queries of pages rendered afresh.
        "DJANGO_PAGE_CACHE": "off",
        "DATABASE_URL": args.database_url,
    }
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    import django

    # The in-process test client finds no collected static files; nothing here needs them.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    django.setup()


def without_password(text: str) -> str:
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


def _interrupt(signum, _frame):
    """SIGTERM and SIGHUP end the run as Ctrl+C does: servers and workers stopped, the
    scratch database dropped."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv=None) -> int:
    args = parse_arguments(argv)
    command = " ".join(shlex.quote(part) for part in [sys.executable, *sys.argv])
    secret_key = secrets.token_urlsafe(50)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        configure_django(args, secret_key)
        from benchlib import run

        report, problems = run.run(args, secret_key=secret_key, command=without_password(command))
    except RuntimeError as failed:
        # The harness's own failures (a server that does not start, a login refused, a
        # benchmark process that failed) say what went wrong; no traceback of ours.
        print(f"bench: {failed}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt as interrupted:
        print(
            f"\ninterrupted ({str(interrupted) or 'Ctrl+C'}); servers and workers stopped",
            file=sys.stderr,
        )
        return INTERRUPTED
    print(report)
    Path(args.out).write_text(report)
    print(f"\nwritten to {args.out}", file=sys.stderr)
    if problems:
        print("some checks failed or pages were not measured: see the report", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
