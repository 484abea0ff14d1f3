"""HTTP load with Debian's wrk, and the few plain HTTP requests around it (login, checks)."""

import http.client
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# Each wrk thread counts the responses that are not 200 (wrk itself counts only statuses
# above 399 as errors: a redirect to the login page would pass as a fast page); `done`
# runs once at the end and adds the threads' counts. Latencies are in microseconds.
WRK_SCRIPT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

done = function(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %d %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    not_ok, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
WRK_THREADS = 1  # one native thread drives a few connections at these rates, and eats least


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors (connect, read, write, timeout) and statuses above 399
    not_ok: int  # responses whose status was not 200 (redirects included)
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def problem(self) -> str | None:
        """Why this run is no figure, if it is none."""
        if self.requests == 0:
            return "no request completed"
        if self.errors or self.not_ok:
            return (
                f"{self.not_ok} of {self.requests} responses were not 200, "
                f"{self.errors} socket or HTTP errors"
            )
        return None


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed; install Debian's: apt-get install -y wrk")
    return path


def wrk_version() -> str:
    run = subprocess.run(  # noqa: S603 - the wrk found on PATH, fixed arguments
        [require_wrk(), "-v"], capture_output=True, text=True, check=False
    )
    first_line = (run.stdout or run.stderr).splitlines()[0]
    return first_line.split(" Copyright")[0].strip()


class Wrk:
    def __init__(self, *, connections: int):
        self.binary = require_wrk()
        self.connections = connections
        self._script_dir = tempfile.TemporaryDirectory(prefix="bench-wrk-")
        self.script = Path(self._script_dir.name) / "bench.lua"
        self.script.write_text(WRK_SCRIPT)

    def command(self, url: str, *, seconds: int, cookie: str = "") -> list[str]:
        command = [
            self.binary,
            f"--threads={WRK_THREADS}",
            f"--connections={self.connections}",
            f"--duration={seconds}s",  # wrk takes whole seconds
            "--timeout=10s",
            f"--script={self.script}",
        ]
        if cookie:
            command.append(f"--header=Cookie: {cookie}")
        command.append(url)
        return command

    def run(self, url: str, *, seconds: int, cookie: str = "") -> LoadResult:
        command = self.command(url, seconds=seconds, cookie=cookie)
        # subprocess.run kills wrk if anything (Ctrl+C included) interrupts the wait.
        done = subprocess.run(  # noqa: S603 - the wrk found on PATH, our own arguments
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        return parse_wrk_output(done.stdout, command=command, stderr=done.stderr)


def parse_wrk_output(stdout: str, *, command=(), stderr: str = "") -> LoadResult:
    line = next((line for line in stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        shown = " ".join(part for part in command if not part.startswith("--header=Cookie"))
        raise RuntimeError(f"wrk printed no result: {shown}\n{stdout}{stderr}")
    requests, duration_us, *errors, not_ok, p50, p95, p99 = (float(x) for x in line.split()[1:])
    return LoadResult(
        requests=int(requests),
        seconds=duration_us / 1e6,
        errors=int(sum(errors)),
        not_ok=int(not_ok),
        p50_ms=p50 / 1000,
        p95_ms=p95 / 1000,
        p99_ms=p99 / 1000,
    )


# --- plain HTTP ----------------------------------------------------------------------------


@dataclass
class Session:
    username: str
    cookies: dict[str, str]

    @property
    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    @property
    def session_key(self) -> str:
        return self.cookies["sessionid"]


def request(base_url: str, method: str, path: str, *, cookies=None, form=None):
    """One request without following redirects; returns (status, headers, body)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _set_cookies(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or ():
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN_PATH = "/accounts/login/"
SECOND_STEP_PATH = "/accounts/two-factor/"


def log_in(base_url: str, username: str, password: str, *, second_factor=None) -> Session:
    """Log in through the login form, as a browser does; the console's users too, with
    the code `second_factor()` gives at the second step."""
    status, headers, body = request(base_url, "GET", LOGIN_PATH)
    cookies = _set_cookies(headers)
    token = CSRF_FIELD.search(body)
    if status != 200 or token is None or "csrftoken" not in cookies:
        raise RuntimeError(f"{LOGIN_PATH} answered {status} without a CSRF token")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    status, headers, _body = request(base_url, "POST", LOGIN_PATH, cookies=cookies, form=form)
    cookies |= _set_cookies(headers)
    location = headers.get("Location") or ""
    if status != 302 or "sessionid" not in cookies or location.startswith(LOGIN_PATH):
        raise RuntimeError(
            f"logging in as {username} failed ({status} → {location or 'no redirect'}): "
            "wrong password (--password), or not a load user?"
        )
    # The second step answers a console user with its form, and sends anyone else home.
    status, headers, body = request(base_url, "GET", SECOND_STEP_PATH, cookies=cookies)
    if status == 200:
        cookies = _pass_second_step(base_url, username, cookies, body, second_factor)
    return Session(username, cookies)


def _pass_second_step(base_url: str, username: str, cookies: dict, form_page, second_factor):
    if second_factor is None:
        raise RuntimeError(f"{username} is a console user: the login needs a second factor")
    token = CSRF_FIELD.search(form_page)
    if token is None:
        raise RuntimeError(f"{SECOND_STEP_PATH} answered without a CSRF token")
    form = {"code": second_factor(), "csrfmiddlewaretoken": token.group(1)}
    status, headers, _body = request(base_url, "POST", SECOND_STEP_PATH, cookies=cookies, form=form)
    location = headers.get("Location") or ""
    if status != 302 or location.startswith(SECOND_STEP_PATH):
        raise RuntimeError(f"the second step refused {username}'s code ({status})")
    # The session key changes as the session is raised to both factors.
    return cookies | _set_cookies(headers)


def log_out(base_url: str, session: Session) -> None:
    """End the session, so the harness leaves no session rows behind."""
    request(
        base_url,
        "POST",
        "/accounts/logout/",
        cookies=session.cookies,
        form={"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
    )
