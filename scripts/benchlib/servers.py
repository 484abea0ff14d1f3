"""gunicorn servers for the measured app and for the baselines, with identical settings.

Every server is its own process group (its master and workers) and is stopped with it
whatever ends the run: the context manager on a normal end, an error or Ctrl+C (SIGINT,
and SIGTERM or SIGHUP, which scripts/bench.py turns into the same); and the kernel's
parent-death signal if the harness itself is killed outright.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .load import request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_URLCONF = "deposit_claims.urls"
BENCH_URLCONF = "deposit_claims.bench_urls"
WORKERS = 2
WORKER_CLASS = "sync"
READY_WITHIN_SECONDS = 60
STOP_WITHIN_SECONDS = 30
# Variables that would make the servers differ from what the harness says it measures.
INHERITED_NOT = ("DATABASE_URL", "REDIS_URL", "DJANGO_", "CELERY_")
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
LOCMEM_SMS = "outbox.sms.LocmemBackend"
PR_SET_PDEATHSIG = 1
# What a server's log shows when something failed: Django's "Internal Server Error: /path"
# and its traceback, gunicorn's [ERROR] and [CRITICAL] (a worker killed, timed out).
ERROR_MARKERS = ("Traceback", "Internal Server Error", "[ERROR]", "[CRITICAL]")


@dataclass(frozen=True)
class ServerSettings:
    """What every server of one run shares; only the URLconf differs between them."""

    database_url: str
    redis_url: str
    broker_url: str
    secret_key: str
    page_cache_off: bool

    def environment(self, urlconf: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_NOT)}
        env |= self.variables(urlconf)
        return env

    def variables(self, urlconf: str) -> dict[str, str]:
        """The settings' variables the servers get (the rest of the environment is the
        harness's own, less anything in INHERITED_NOT)."""
        variables = {
            "DJANGO_SETTINGS_MODULE": "deposit_claims.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_ROOT_URLCONF": urlconf,
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_EMAIL_BACKEND": LOCMEM_EMAIL,
            "DJANGO_SMS_BACKEND": LOCMEM_SMS,
            "DATABASE_URL": self.database_url,
            # Tasks are queued to a broker, as in production (no worker runs them).
            "CELERY_BROKER_URL": self.broker_url,
        }
        if self.page_cache_off:
            # Read by the app's page caching: every party page rendered afresh. Otherwise
            # unset: the app's default (on, where its settings allow it).
            variables["DJANGO_PAGE_CACHE"] = "off"
        if self.redis_url:
            variables["REDIS_URL"] = self.redis_url
        return variables

    def described(self) -> str:
        """The variables as the report shows them: no secret, no URLconf (which differs),
        no page cache switch (which the phases set)."""
        shown = {
            k: v
            for k, v in self.variables(APP_URLCONF).items()
            if k
            not in ("DJANGO_SECRET_KEY", "DJANGO_ROOT_URLCONF", "DATABASE_URL", "DJANGO_PAGE_CACHE")
        }
        return " ".join(f"{k}={v}" for k, v in shown.items())


# The settings the servers run with, as Django reads them from their environment.
PROBED_SETTINGS = (
    "DEBUG",
    "PAGE_CACHE",
    "CELERY_TASK_ALWAYS_EAGER",
    "EMAIL_BACKEND",
    "SESSION_ENGINE",
    "CONN_MAX_AGE",
    "CACHE_BACKEND",
    "DATABASE",
)
PROBE = """
import json, django
django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
values = {name: getattr(settings, name, "(none)") for name in %r}
values["CONN_MAX_AGE"] = database.get("CONN_MAX_AGE")
values["CACHE_BACKEND"] = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
values["DATABASE"] = database["ENGINE"].rsplit(".", 1)[-1] + " " + str(database["NAME"])
print(json.dumps(values))
"""


def effective_settings(settings: ServerSettings) -> dict:
    """What Django makes of the servers' environment (the app's; the baselines' differs in
    the URLconf alone), read in a process of its own as a worker would."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", PROBE % (PROBED_SETTINGS[:5],)],
        cwd=PROJECT_ROOT,
        env=settings.environment(APP_URLCONF),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the servers' settings do not load:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def errors(self, lines: int = 40) -> str:
        """The log's tail if the server logged an error (a 500's traceback, a worker that
        died or timed out); "" otherwise."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        if not any(marker in text for marker in ERROR_MARKERS):
            return ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM to gunicorn's master if the harness dies, even by
    SIGKILL (the master then stops its workers as on any SIGTERM)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def gunicorn_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "deposit_claims.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--worker-class={WORKER_CLASS}",
        # No access log (gunicorn writes none unless asked); errors to stderr, the log file.
        "--error-logfile=-",
        "--log-level=warning",
        "--timeout=120",
        f"--graceful-timeout={STOP_WITHIN_SECONDS // 2}",
        # The default control socket is one path per user: two servers would share it.
        "--no-control-socket",
    ]


def _start(name: str, env: dict[str, str], log_dir: Path) -> Server:
    port = free_port()
    log = log_dir / f"{name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            gunicorn_command(port),
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            # Django's own log (a 500's traceback) and gunicorn's errors, for the report.
            stdout=output,
            stderr=output,
            # Its own process group: Ctrl+C reaches the harness only, which stops it in
            # order; and the whole group can be killed if the master hangs.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # the harness runs no threads while it starts them
        )
    return Server(name, port, process, log)


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            children.append(int(entry.name))
    return children


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.name} server exited at start:\n{server.log_tail()}")
        try:
            ready = request(server.base_url, "GET", "/accounts/login/")[0] == 200
        except OSError:
            ready = False
        if ready and len(_children(server.process.pid)) >= WORKERS:
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"the {server.name} server was not ready in {READY_WITHIN_SECONDS} s:\n" + server.log_tail()
    )


def verify(server: Server) -> None:
    """What the report claims of the server: WORKERS workers, DEBUG off."""
    workers = len(_children(server.process.pid))
    if workers != WORKERS:
        raise RuntimeError(f"the {server.name} server runs {workers} workers, not {WORKERS}")
    status, _headers, body = request(server.base_url, "GET", "/__bench__/no-such-page")
    # With DEBUG on, Django answers a 404 with its technical page naming the URLconf.
    if status != 404 or b"URLconf" in body:
        raise RuntimeError(f"the {server.name} server does not run with DEBUG off ({status})")


def _kill_group(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def stop(server: Server) -> None:
    """SIGTERM to the master we started (it stops its workers); SIGKILL to its whole
    process group if it is stuck, and to any worker it left behind."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
    # The group id is the master's pid (start_new_session): no other process has it.
    _kill_group(process.pid, signal.SIGKILL)


@contextmanager
def running_servers(settings: ServerSettings):
    """The app and the bench URLconf side by side: {"app": Server, "bench": Server}."""
    environments = {
        "app": settings.environment(APP_URLCONF),
        "bench": settings.environment(BENCH_URLCONF),
    }
    differ = {
        k
        for k in environments["app"].keys() | environments["bench"].keys()
        if environments["app"].get(k) != environments["bench"].get(k)
    }
    if differ != {"DJANGO_ROOT_URLCONF"}:
        raise RuntimeError(f"the servers' settings differ in {sorted(differ)}")
    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-gunicorn-")))
        servers = {}
        for name, env in environments.items():
            server = _start(name, env, log_dir)
            stack.callback(stop, server)
            servers[name] = server
        for server in servers.values():
            _wait_until_ready(server)
            verify(server)
        yield servers
