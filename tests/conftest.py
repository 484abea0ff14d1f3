import pytest
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython
from django.test import Client
from django.utils import translation

from common import effective
from outbox import sms
from tests.login import pass_second_factor
from tests.moto_s3 import bucket, s3, s3_endpoint, s3_storage  # noqa: F401 (fixtures)

PROJECT_APPS = {"accounts", "merchants", "deposits", "disputes"}
POSTGRES_ONLY = "needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """`postgres` tests run in real transactions on PostgreSQL, and are skipped elsewhere.

    Both are decided at collection, before pytest-django orders the transactional tests
    last: a skipped test must not flush the database that the others still read.
    """
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.django_db(transaction=True))
            if not on_postgres:
                item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY))


def restore_reference_data():
    """Re-run the project's data migrations (roles, categories, policies, rules).

    A transactional test ends by flushing every table, which also empties the rows the
    data migrations wrote; every data migration is idempotent, so running them again
    brings those rows back.
    """
    loader = MigrationLoader(connection)
    seen = set()
    plan = [key for leaf in loader.graph.leaf_nodes() for key in loader.graph.forwards_plan(leaf)]
    for key in plan:
        if key in seen or key[0] not in PROJECT_APPS:
            continue
        seen.add(key)
        for operation in loader.graph.nodes[key].operations:
            if isinstance(operation, RunPython):
                operation.code(global_apps, None)


@pytest.fixture
def reference_data(transactional_db):
    restore_reference_data()


@pytest.fixture(autouse=True)
def _postgres_reference_data(request):
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("reference_data")


@pytest.fixture(autouse=True)
def _fresh_reference_rows():
    """Each test reads policies, rules and content types from its own database, never a
    copy cached by an earlier test (a test that commits recreates them with new ids)."""
    effective.forget_all()
    ContentType.objects.clear_cache()
    yield
    effective.forget_all()


@pytest.fixture(autouse=True)
def _english_messages():
    """Service errors read in English in tests; pages choose their language per request."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "outbox.sms.LocmemBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    sms.outbox.clear()
    # Rate-limit counters and cached pages of one test never reach the next.
    cache.clear()


@pytest.fixture(autouse=True)
def _console_logins_pass_the_second_factor(monkeypatch):
    """`force_login` stands for a whole login: for a console user, password and second
    factor. The second factor's own tests log in through the forms (tests/login.py)."""
    log_in = Client.force_login

    def force_login(self, user, backend=None):
        log_in(self, user, backend)
        if user.is_staff:
            pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
