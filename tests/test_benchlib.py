"""The pure parts of the benchmark harness (scripts/bench.py, scripts/benchlib): what it
reads from wrk, how it judges a page, and the report it writes. No server, no wrk."""

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import bench  # noqa: E402
from benchlib import report  # noqa: E402
from benchlib.broker import check_broker_url  # noqa: E402
from benchlib.load import LoadResult, parse_wrk_output  # noqa: E402
from benchlib.pages import both, lists_complaints, says_ok, shows  # noqa: E402
from benchlib.servers import (  # noqa: E402
    APP_URLCONF,
    BENCH_URLCONF,
    WORKERS,
    ServerSettings,
    gunicorn_command,
)

from tests.factories import ComplaintFactory, ConsumerFactory  # noqa: E402

DATABASE = "postgres://postgres@127.0.0.1:5432/claims_load"


# --- wrk's output --------------------------------------------------------------------------


def test_the_wrk_hooks_line_becomes_a_result():
    stdout = "Running 3s test\nBENCH 3000 3000000 0 0 0 0 0 0 1500 4500 9000\n"
    result = parse_wrk_output(stdout)
    assert result == LoadResult(
        requests=3000, seconds=3.0, errors=0, not_ok=0, p50_ms=1.5, p95_ms=4.5, p99_ms=9.0
    )
    assert result.rate == 1000
    assert result.problem() is None


def test_a_run_of_redirects_is_no_figure():
    # wrk counts only statuses above 399 as errors; the hook counts every one but 200.
    result = parse_wrk_output("BENCH 800 1000000 0 0 0 0 0 800 1000 2000 3000\n")
    assert result.errors == 0
    assert result.problem() == "800 of 800 responses were not 200, 0 socket or HTTP errors"


def test_socket_errors_and_empty_runs_are_no_figures():
    errors = parse_wrk_output("BENCH 10 1000000 1 2 0 3 4 3 1000 2000 3000\n")
    assert errors.errors == 10
    assert errors.problem()
    assert parse_wrk_output("BENCH 0 1000000 0 0 0 0 0 0 0 0 0\n").problem()


def test_wrk_without_its_line_is_an_error_that_hides_the_session_cookie():
    command = ["wrk", "--header=Cookie: sessionid=secret", "http://127.0.0.1/"]
    with pytest.raises(RuntimeError, match="printed no result") as raised:
        parse_wrk_output("unable to connect", command=command)
    assert "secret" not in str(raised.value)


# --- what a page must show ----------------------------------------------------------------


def test_text_checks():
    assert shows("TS1", "TS2")("a TS1 b TS2") is None
    assert shows("TS1", "TS2")("a TS1") == "shows no TS2"
    assert says_ok("ok") is None
    assert says_ok("<html>login") is not None
    assert both(shows("a"), shows("b"))("a") == "shows no b"
    assert both(shows("a"), shows("b"))("ab") is None


@pytest.mark.django_db
def test_a_list_must_show_the_users_complaints_and_no_one_elses():
    consumer = ConsumerFactory()
    mine = ComplaintFactory(order__consumer=consumer)
    theirs = ComplaintFactory()
    check = lists_complaints(type(mine).objects.filter(consumer=consumer), "the consumer's")
    assert check(f"<td>{mine.number}</td>") is None
    assert check("<p>no complaints yet</p>") == "lists no complaint"
    assert check(f"{mine.number} {theirs.number}") == (
        f"lists complaints not the consumer's: {theirs.number}"
    )


# --- the servers ---------------------------------------------------------------------------


def _settings(**changes) -> ServerSettings:
    values = dict(
        database_url=DATABASE,
        redis_url="",
        broker_url="redis://127.0.0.1:6379/15",
        secret_key="k" * 50,
        page_cache_off=True,
    )
    return ServerSettings(**(values | changes))


def test_the_app_and_the_baselines_differ_in_their_urlconf_alone(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "true")
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "true")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere/1")
    settings = _settings()
    app, bare = settings.environment(APP_URLCONF), settings.environment(BENCH_URLCONF)
    assert {k for k in app.keys() | bare.keys() if app.get(k) != bare.get(k)} == {
        "DJANGO_ROOT_URLCONF"
    }
    # Nothing of the caller's environment changes what the servers run with.
    assert app["DJANGO_DEBUG"] == "false"
    assert "CELERY_TASK_ALWAYS_EAGER" not in app
    assert "REDIS_URL" not in app
    assert app["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/15"
    assert app["DJANGO_EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    assert app["DJANGO_PAGE_CACHE"] == "off"
    # Repeat views: the app's default, whatever the caller's environment says.
    monkeypatch.setenv("DJANGO_PAGE_CACHE", "off")
    assert "DJANGO_PAGE_CACHE" not in _settings(page_cache_off=False).environment(APP_URLCONF)
    assert _settings(redis_url="redis://r/1").environment(APP_URLCONF)["REDIS_URL"] == "redis://r/1"


def test_the_report_shows_the_servers_settings_without_their_secret():
    described = _settings().described()
    assert "DJANGO_DEBUG=false" in described
    assert "k" * 50 not in described
    assert "DJANGO_ROOT_URLCONF" not in described


def test_gunicorn_runs_two_sync_workers():
    command = gunicorn_command(8123)
    assert WORKERS == 2
    assert "--workers=2" in command
    assert "--worker-class=sync" in command
    assert "--bind=127.0.0.1:8123" in command


# --- the command line ----------------------------------------------------------------------


def test_the_arguments_are_checked(capsys):
    args = bench.parse_arguments(["--database-url", DATABASE])
    assert (args.runs, args.only, args.broker_url) == (3, "all", "redis://127.0.0.1:6379/15")
    for wrong in (
        ["--database-url", "sqlite:///x"],
        ["--database-url", DATABASE, "--runs", "0"],
        ["--database-url", DATABASE, "--broker-url", "redis://127.0.0.1:6379/0"],
        ["--database-url", DATABASE, "--redis-url", "redis://127.0.0.1:6379/15"],
    ):
        with pytest.raises(SystemExit):
            bench.parse_arguments(wrong)
    capsys.readouterr()


def test_passwords_stay_out_of_the_report():
    assert bench.without_password("postgres://bench:s3cret@db/claims") == (
        "postgres://bench:***@db/claims"
    )
    assert (
        bench.without_password("postgres://postgres@db/claims") == "postgres://postgres@db/claims"
    )


def test_the_broker_must_be_a_redis_database_of_its_own():
    assert check_broker_url("redis://127.0.0.1:6379/15") is None
    assert check_broker_url("redis://127.0.0.1:6379") is not None
    assert check_broker_url("amqp://guest@localhost//") is not None


# --- figures and the report ----------------------------------------------------------------


def _page(values, ratios, p95, target=report.NO_TARGET, section="Pages") -> report.Figure:
    return report.Figure(
        section,
        "consumer `/complaints/`",
        "how",
        values=values,
        ratios=ratios,
        p95_ms=p95,
        p99_ms=p95,
        queries=6,
        target=target,
    )


def test_a_page_target_is_judged_on_the_medians():
    target = report.page_target(0.10, 100)
    met = _page([100, 300, 200], [0.05, 0.2, 0.12], [120, 80, 90], target)
    assert (met.median_value, met.median_ratio, met.median_p95) == (200, 0.12, 90)
    assert met.verdict() == "yes"
    assert _page([100], [0.09], [50], target).verdict() == "**no**"
    assert _page([100], [0.5], [100], target).verdict() == "**no**"


def test_a_figure_with_a_problem_is_not_met_however_fast():
    figure = _page([10_000], [5.0], [1], report.page_target(0.10, 100))
    figure.problems.append("300 of 300 responses were not 200")
    assert figure.verdict() == "**no** (see problems)"
    assert report.has_problems([figure], [])
    assert report.has_problems([], ["case page answered 404"])
    assert not report.has_problems([_page([1], [1], [1])], [])


def test_console_and_rate_targets():
    case = report.console_target(150, 15)
    assert case.text == "≤ 15 queries, p95 < 150 ms"
    figure = _page([50], [0.1], [140], case)
    assert figure.verdict() == "yes"
    figure.queries = 16
    assert figure.verdict() == "**no**"
    sweep = report.rate_at_least(2000)
    assert sweep.text == "≥ 2,000/s"
    assert sweep.met(
        report.Figure("Money", "sweep", "how", unit=report.PER_SECOND, values=[1900, 2100, 2500])
    )


def test_the_report_is_a_docs_section_with_min_median_and_ratios():
    target = report.page_target(0.10, 100)
    bare = _page([1000.0, 1200.0, 1100.0], [], [5, 6, 7])
    bare.what = "bare view `/__bench__/ok`"
    page = _page([150.0, 120.0, 130.0], [0.125, 0.1, 0.13], [40.0, 60.0, 50.0], target)
    sweep = report.Figure(
        "Money and deadlines",
        "deadline sweep, 2 processes",
        "how",
        unit=report.PER_SECOND,
        values=[2100.0, 1900.0, 2500.0],
        ratios=[6.0, 5.5, 7.0],
        limit="350/s",
        target=report.rate_at_least(2000),
    )
    text = report.render_report(
        title="Run of 2026-11-28 — `scripts/bench.py`",
        header=[("command", "`bench.py`"), ("machine", "vm: 2 cores")],
        method=["Every figure is taken in 3 rounds."],
        figures=[bare, page, sweep],
        cpu="| part | CPU s |",
        unmeasured=[],
        notes=["shared machine"],
    )
    assert text.startswith("## Run of 2026-11-28")
    assert "\n# " not in text  # pastes under the docs' own title
    assert "- outcome: 2 of 2 targets met; no problems" in text
    assert "### Method\n\nEvery figure is taken in 3 rounds." in text
    assert "| bare view `/__bench__/ok` | 1,000 | 1,100 | — | — | 6.0 | 7.0 | 6.0 | 6 |" in text
    assert (
        "| consumer `/complaints/` | 120 | 130 | 10.0% | 12.5% | 50.0 | 60.0 | 50.0 | 6 "
        "| ≥ 10% of bare, p95 < 100 ms | yes |"
    ) in text
    assert (
        "| deadline sweep, 2 processes | 1,900 | 2,100 | 550.0% | 600.0% | 350/s "
        "| ≥ 2,000/s | yes |"
    ) in text
    assert "- none: every check passed" in text


def test_the_report_lists_what_it_could_not_measure():
    text = report.render_problems([], ["seller `/seller/` answered 302 → /accounts/login/"], [])
    assert "- not measured: seller `/seller/` answered 302 → /accounts/login/" in text
    assert report.summary([], ["x"]) == "0 of 0 targets met; 1 problem (see Checks)"


def test_a_page_that_could_not_be_measured_stays_in_its_table():
    target = report.page_target(0.10, 100)
    figure = _page([], [], [], target)
    figure.problems.append("not measured: `/seller/` answered 302 → /accounts/login/")
    table = report.render_tables([figure])
    assert (
        "| consumer `/complaints/` | — | — | — | — | — | — | — | — "
        "| ≥ 10% of bare, p95 < 100 ms | not measured |"
    ) in table
    assert report.summary([figure], []) == "0 of 1 targets met; 1 problem (see Checks)"
