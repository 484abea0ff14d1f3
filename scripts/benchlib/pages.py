"""Pages under HTTP load: each page's runs alternate with the bare view's on the same servers."""

import re
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from statistics import mean

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session as StoredSession
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from disputes.models import Complaint

from .cpu import CpuLedger
from .load import LoadResult, Session, Wrk, log_in, log_out, request
from .report import NO_TARGET, Figure, Target, console_target, page_target
from .servers import APP_URLCONF, BENCH_URLCONF
from .targets import Targets

BARE_PATH = "/__bench__/ok"
LIMIT_PATH = "/__bench__/page"

FRESH = "fresh"
REPEAT = "repeat"
PHASE_TEXT = {
    FRESH: "rendered afresh (servers run with DJANGO_PAGE_CACHE=off)",
    REPEAT: "repeat views of unchanged data (servers run with page caches on)",
}
PAGE_RATIO = {FRESH: 0.10, REPEAT: 0.25}
PAGE_P95_MS = 100
CONSOLE_P95_MS = 300
CASE_P95_MS = 150
CASE_QUERIES = 15

# What a page's body must show to be the page measured (not a login form, an empty
# list, another user's page): a check returns None, or what is wrong.
Check = Callable[[str], str | None]
COMPLAINT_NUMBER = re.compile(r"TS\d{14}")
MAX_LISTED = 3


def shows(*texts: str) -> Check:
    def check(body: str) -> str | None:
        missing = [text for text in texts if text not in body]
        return f"shows no {', '.join(missing)}" if missing else None

    return check


def lists_complaints(complaints, whose: str) -> Check:
    """The page lists complaints, and every complaint number on it is one of `complaints`."""

    def check(body: str) -> str | None:
        numbers = set(COMPLAINT_NUMBER.findall(body))
        if not numbers:
            return "lists no complaint"
        known = set(complaints.filter(number__in=numbers).values_list("number", flat=True))
        if strangers := sorted(numbers - known)[:MAX_LISTED]:
            return f"lists complaints not {whose}: {', '.join(strangers)}"
        return None

    return check


def both(*checks: Check) -> Check:
    def check(body: str) -> str | None:
        return next((problem for c in checks if (problem := c(body))), None)

    return check


def says_ok(body: str) -> str | None:
    return None if body == "ok" else f"answered {body[:40]!r}, not 'ok'"


@dataclass(frozen=True)
class Page:
    what: str
    path: str
    user: str
    server: str = "app"
    target: Target = NO_TARGET
    check: Check | None = None


BARE = Page("bare view `/__bench__/ok`", BARE_PATH, "", server="bench", check=says_ok)


def lean_page(targets: Targets) -> Page:
    return Page(
        "limit: lean page `/__bench__/page` (consumer)",
        LIMIT_PATH,
        targets.consumer,
        server="bench",
        check=lists_complaints(
            Complaint.objects.filter(consumer__username=targets.consumer), "the consumer's"
        ),
    )


def consumer_and_seller_pages(targets: Targets, phase: str) -> list[Page]:
    target = page_target(PAGE_RATIO[phase], PAGE_P95_MS)
    consumers = Complaint.objects.filter(consumer__username=targets.consumer)
    stores = Complaint.objects.filter(merchant__code=targets.store_code)
    return [
        lean_page(targets),
        Page(
            "consumer `/complaints/`",
            "/complaints/",
            targets.consumer,
            target=target,
            check=lists_complaints(consumers, "the consumer's"),
        ),
        Page(
            "complaint page `/complaints/<number>/`",
            f"/complaints/{targets.complaint_number}/",
            targets.consumer,
            target=target,
            check=shows(targets.complaint_number),
        ),
        Page(
            "seller `/seller/` (busy store)",
            "/seller/",
            targets.seller,
            target=target,
            check=lists_complaints(stores, "the store's"),
        ),
        Page(
            "seller `/seller/complaints/` (busy store)",
            "/seller/complaints/",
            targets.seller,
            target=target,
            check=lists_complaints(stores, "the store's"),
        ),
    ]


def console_pages(targets: Targets) -> list[Page]:
    changelist = "/admin/disputes/complaint/"
    listing = console_target(CONSOLE_P95_MS)
    any_complaint = lists_complaints(Complaint.objects.all(), "in the database")
    found_the_case = both(any_complaint, shows(targets.case_number))
    return [
        Page(
            "complaint list (default)",
            changelist,
            targets.reviewer,
            target=listing,
            check=any_complaint,
        ),
        Page(
            "complaint list `?status__exact=under_review`",
            f"{changelist}?status__exact=under_review",
            targets.reviewer,
            target=listing,
            check=lists_complaints(
                Complaint.objects.filter(status=Complaint.Status.UNDER_REVIEW), "under review"
            ),
        ),
        Page(
            "search by complaint no.",
            targets.console_search(targets.case_number),
            targets.reviewer,
            target=listing,
            check=found_the_case,
        ),
        Page(
            "search by order no.",
            targets.console_search(targets.order_number),
            targets.reviewer,
            target=listing,
            check=found_the_case,
        ),
        Page(
            "search by consumer",
            targets.console_search(targets.case_consumer),
            targets.reviewer,
            target=listing,
            check=found_the_case,
        ),
        Page(
            "case page `/admin/disputes/complaint/<pk>/change/`",
            f"{changelist}{targets.case_pk}/change/",
            targets.reviewer,
            target=console_target(CASE_P95_MS, CASE_QUERIES),
            check=shows(targets.case_number),
        ),
    ]


def check_page(base_url: str, page: Page, session: Session | None) -> str | None:
    """None if the page answers 200 and shows what it must; else what came instead
    ('302 → /accounts/login/?next=...', '404', '200, but lists no complaint')."""
    status, headers, body = request(
        base_url, "GET", page.path, cookies=session.cookies if session else None
    )
    if status != 200:
        location = headers.get("Location")
        return f"{status} → {location}" if location else str(status)
    if page.check and (problem := page.check(body.decode("utf-8", errors="replace"))):
        return f"200, but {problem}"
    return None


@contextmanager
def logged_in(base_url: str, usernames: set[str], password: str):
    """A session per user, logged in over HTTP, and logged out again at the end."""
    sessions: dict[str, Session] = {}
    try:
        for username in sorted(usernames):
            sessions[username] = log_in(
                base_url, username, password, second_factor=partial(recovery_code, username)
            )
        yield sessions
    finally:
        for session in sessions.values():
            with suppress(OSError):
                log_out(base_url, session)
        # Whatever the logouts did, no session of the harness's stays in the database.
        StoredSession.objects.filter(
            session_key__in=[session.session_key for session in sessions.values()]
        ).delete()


def recovery_code(username: str) -> str:
    """A recovery code made for one login of a console user (single use, so it never
    collides with another login in the same 30 seconds, as an app's code would); the user
    counts as enrolled, with an app of the harness's, so the login asks for a code."""
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "bench harness"})
    device, _created = StaticDevice.objects.get_or_create(user=user, name="bench harness")
    return device.token_set.create(token=StaticToken.random_token()).token


def count_queries(page: Page, session: Session) -> int | str:
    """The queries of one render in this process, after a first render filled its caches,
    as a server worker that has served the page before would run them; or why not."""
    client = Client(headers={"host": "127.0.0.1"})
    client.cookies["sessionid"] = session.session_key
    urlconf = BENCH_URLCONF if page.server == "bench" else APP_URLCONF
    with override_settings(ROOT_URLCONF=urlconf):
        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
    if response.status_code != 200:
        return f"`{page.path}` answered {response.status_code} in the harness's process"
    return len(captured)


class LoadBench:
    """Runs wrk against the servers of one phase and turns the runs into figures."""

    def __init__(self, *, wrk: Wrk, servers, sessions, seconds, warmup, cpu: CpuLedger):
        self.wrk = wrk
        self.servers = servers
        self.sessions = sessions
        self.seconds = seconds
        self.warmup = warmup
        self.cpu = cpu

    def _url(self, page: Page) -> str:
        return self.servers[page.server].base_url + page.path

    def _cookie(self, page: Page) -> str:
        return self.sessions[page.user].header if page.user else ""

    def _load(self, page: Page, seconds: int) -> LoadResult:
        with self.cpu.measure("HTTP load runs", children="wrk (the load generator)"):
            return self.wrk.run(self._url(page), seconds=seconds, cookie=self._cookie(page))

    def unanswered(self, pages: list[Page]) -> dict[Page, str]:
        """Pages that do not answer 200 with their user's session and show what they
        must (a login page or an empty list is no figure), the bare view included."""
        problems = {
            page: check_page(self.servers[page.server].base_url, page, self.sessions.get(page.user))
            for page in [BARE, *pages]
        }
        return {page: problem for page, problem in problems.items() if problem}

    def warm_up(self, pages: list[Page]) -> None:
        """Both workers of each server import, connect and compile before anything counts."""
        for page in [BARE, *pages]:
            self._load(page, self.warmup)

    def measure(self, pages: list[Page], *, runs: int, section: str, method: str):
        """`runs` rounds of: bare, page 1, bare, page 2, ..., bare. A page's ratio is to the
        mean of the bare runs just before and after it, so drift in the machine's load
        between runs shows in the spread of the ratios, not in their level."""
        bare_figure = Figure(
            section,
            BARE.what,
            f"`{BARE.path}` on the bench server, no session: a run before the first page "
            f"and after each; {method}",
        )
        figures = [
            Figure(
                section,
                page.what,
                f"`{page.path}` on the {page.server} server as {page.user}",
                target=page.target,
            )
            for page in pages
        ]
        for _run in range(runs):
            before = self._record(bare_figure, self._load(BARE, self.seconds))
            for page, figure in zip(pages, figures, strict=True):
                result = self._load(page, self.seconds)
                after = self._record(bare_figure, self._load(BARE, self.seconds))
                self._record(figure, result, bare_rate=mean((before.rate, after.rate)))
                before = after
        return [bare_figure, *figures]

    @staticmethod
    def _record(figure: Figure, result: LoadResult, *, bare_rate: float | None = None):
        figure.values.append(result.rate)
        figure.p95_ms.append(result.p95_ms)
        figure.p99_ms.append(result.p99_ms)
        if bare_rate:
            figure.ratios.append(result.rate / bare_rate)
        if (problem := result.problem()) and problem not in figure.problems:
            figure.problems.append(problem)
        return result
