"""The production path, run for real: PostgreSQL, Redis, a Celery worker and beat, two
gunicorn servers, and S3 (moto on loopback). `.ci/run` runs these with INTEGRATION=1."""

import os

import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from deposit_claims.celery import app as celery_app
from tests.disputes.conftest import consumer, file, order, store  # noqa: F401
from tests.moto_s3 import s3_variables

from . import processes

NOT_ASKED = "the integration job: INTEGRATION=1 with DATABASE_URL on PostgreSQL and Redis"


def pytest_collection_modifyitems(config, items):
    """Every module here is marked `postgres` itself (its tests commit, for the other
    processes to see); all are skipped unless the integration job asks for them."""
    if os.environ.get("INTEGRATION"):
        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            raise pytest.UsageError(f"INTEGRATION=1 needs PostgreSQL: {NOT_ASKED}")
        return
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=NOT_ASKED))


@pytest.fixture(autouse=True)
def _production_password_hashers(settings):
    """The servers verify passwords with the production hashers, not the tests' fast one."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def stack_env(tmp_path, s3_endpoint, bucket):
    """Every process on PostgreSQL, Redis (cache, sessions, broker) and S3 (moto)."""
    (tmp_path / "mailbox").mkdir()
    (tmp_path / "media").mkdir()
    processes.flush_redis()
    env = processes.environment(
        tmp_path,
        **s3_variables(s3_endpoint, bucket),
        DEADLINE_SWEEP_SECONDS="2",
        # Only a task's own retry can resend a failed message within this test.
        OUTBOX_SWEEP_SECONDS="3600",
        OUTBOX_RETRY_SECONDS="1",
    )
    os.environ["INTEGRATION_MAILBOX"] = env["INTEGRATION_MAILBOX"]
    yield env
    processes.flush_redis()


@pytest.fixture
def through_the_broker(stack_env):
    """This test process publishes its tasks to the broker instead of running them."""
    before = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = processes.BROKER_URL
    _forget_broker_connections()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = before
    _forget_broker_connections()


def _forget_broker_connections():
    """Celery and kombu keep the connections they opened for the URL they had; drop them."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker_and_beat(stack_env, through_the_broker, tmp_path):
    started = []
    try:
        started.append(processes.celery_worker(stack_env, tmp_path))
        started.append(processes.celery_beat(stack_env, tmp_path))
        yield started
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture
def two_web_servers(stack_env, tmp_path):
    started, urls = [], []
    try:
        for name in ("web-a", "web-b"):
            server, url = processes.gunicorn(name, stack_env, tmp_path)
            started.append(server)
            urls.append(url)
        yield urls
    finally:
        for process in started:
            process.stop()
