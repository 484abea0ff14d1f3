"""deploy.env.example names every variable the settings read, and its values make a
production configuration that passes Django's deployment checks."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVE_ONLY = {"WEB_CONCURRENCY", "WORKER_CONCURRENCY"}
# Read by the settings for the benchmark harness only, never set in production.
HARNESS_ONLY = {"DJANGO_ROOT_URLCONF"}

CHECK_PRODUCTION = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='deposit_claims.settings'; "
    "django.setup(); from django.conf import settings as s; "
    "print(s.STORAGES['default']['BACKEND'], s.EMAIL_BACKEND, s.EMAIL_HOST, s.LOG_FORMAT, "
    "s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.SESSION_ENGINE)"
)


def example() -> dict[str, str]:
    lines = (ROOT / "deploy.env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "deposit_claims" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_the_example_lists_every_variable_the_settings_read():
    documented = set(example()) | set(
        re.findall(r"\b(DJANGO_[A-Z_]+)\b", (ROOT / "deploy.env.example").read_text())
    )
    assert variables_read_by_settings() - HARNESS_ONLY <= documented
    assert set(example()) - SERVE_ONLY <= variables_read_by_settings()


def test_the_example_configures_postgres_redis_celery_s3_smtp_and_json_logs():
    env = {"PATH": "/usr/bin:/bin", **example()}
    printed = subprocess.run(
        [sys.executable, "-c", CHECK_PRODUCTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert printed == [
        "storages.backends.s3.S3Storage",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "json",
        "common.redis_cache.SharedClientRedisCache",
        "False",
        "django.contrib.sessions.backends.cached_db",
    ]
