import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRINT_DB = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='deposit_claims.settings'; "
    "django.setup(); from django.conf import settings; d=settings.DATABASES['default']; "
    "print(d['ENGINE'], d['NAME'], settings.TIME_ZONE, settings.LANGUAGE_CODE)"
)


def _clean_env(**overrides) -> dict[str, str]:
    """This machine's environment without any of the project's own settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return {**env, **overrides}


def _settings_with(env_overrides: dict[str, str]) -> str:
    env = _clean_env(**env_overrides)
    return subprocess.run(
        [sys.executable, "-c", PRINT_DB],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_without_database_url_the_app_uses_sqlite_in_the_project_folder():
    engine, name, tz, language = _settings_with({})
    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == ROOT / "db.sqlite3"
    assert (tz, language) == ("Asia/Shanghai", "zh-hans")


def test_database_url_switches_to_postgresql():
    engine, name, *_ = _settings_with(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/claims_prod"}
    )
    assert engine == "django.db.backends.postgresql"
    assert name == "claims_prod"


def test_production_values_pass_the_deploy_checks():
    env = _clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
        DJANGO_ALLOWED_HOSTS="claims.example.com",
        DJANGO_HTTPS="true",
        DJANGO_PAYOUT_ACCOUNT_KEYS=Fernet.generate_key().decode(),
        DJANGO_WEBHOOK_SECRET_KEYS=Fernet.generate_key().decode(),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_fail_the_deploy_checks():
    env = _clean_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # the development secret key
    assert "payouts.E003" in result.stderr  # the development key of account numbers


def test_a_payout_key_that_is_not_a_fernet_key_stops_the_server_before_it_writes():
    env = _clean_env(DJANGO_PAYOUT_ACCOUNT_KEYS=f"{Fernet.generate_key().decode()},change-me")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Key 2 of DJANGO_PAYOUT_ACCOUNT_KEYS is not a Fernet key" in result.stderr
