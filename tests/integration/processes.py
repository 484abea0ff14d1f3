"""Start the production processes (gunicorn, a Celery worker, beat) against the test's own
PostgreSQL database and Redis, and stop them again."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = os.environ.get("INTEGRATION_REDIS", "redis://127.0.0.1:6379")
CACHE_URL = f"{REDIS}/11"
BROKER_URL = f"{REDIS}/12"


def flush_redis() -> None:
    import redis

    for url in (CACHE_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()


def environment(tmp_path: Path, **extra) -> dict[str, str]:
    """What every process gets: the test's database, a shared cache, the broker."""
    database = connection.settings_dict
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "deposit_claims.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": CACHE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_FORMAT": "json",
        "DJANGO_EMAIL_BACKEND": "tests.integration.mailbox.Mailbox",
        "INTEGRATION_MAILBOX": str(tmp_path / "mailbox"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        **extra,
    }


class Process:
    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} never said {text!r}:\n{self.output()[-4000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def celery_worker(env, log_dir) -> Process:
    worker = Process(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "deposit_claims",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--hostname=integration@%h",
        ],
        env,
        log_dir,
    )
    worker.wait_for("ready.")
    return worker


def celery_beat(env, log_dir) -> Process:
    beat = Process(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "deposit_claims",
            "beat",
            "--loglevel=INFO",
            f"--schedule={log_dir / 'beat-schedule'}",
        ],
        env,
        log_dir,
    )
    beat.wait_for("beat: Starting")
    return beat


def gunicorn(name, env, log_dir) -> tuple[Process, str]:
    port = free_port()
    server = Process(
        name,
        [
            str(BIN / "gunicorn"),
            "deposit_claims.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--access-logfile=-",
        ],
        env,
        log_dir,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (http only)
                return server, url
        except OSError:
            if server.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{server.output()[-4000:]}") from None
            time.sleep(0.2)


def eventually(check, timeout: float = 60, interval: float = 0.3):
    """Poll `check` until it returns something true; its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
