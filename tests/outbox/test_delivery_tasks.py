"""With a shared cache, commits in quick succession queue one delivery task between them.

The tests commit for real (`transaction=True`): a task is queued once a change commits."""

import pytest
from django.core.cache import cache

from outbox import services, tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch, settings):
    settings.REDIS_URL = "redis://shared-cache"  # what turns the coalescing on
    cache.delete(services.DELIVERY_QUEUED_KEY)
    made = []
    monkeypatch.setattr(tasks.deliver_outbox, "delay", lambda: made.append("task"))
    yield made
    cache.delete(services.DELIVERY_QUEUED_KEY)


def _commit_a_message(n=0):
    services.queue_email([f"user{n}@example.com"], "Subject", "Body")


def test_commits_while_a_task_waits_queue_no_other(queued):
    for n in range(3):
        _commit_a_message(n)
    assert queued == ["task"]


def test_a_task_that_starts_lets_the_next_commit_queue_another(
    queued, django_capture_on_commit_callbacks
):
    _commit_a_message()
    assert tasks.deliver_outbox.apply().result == 1
    _commit_a_message(1)
    assert queued == ["task", "task"]


def test_a_broker_that_refuses_leaves_no_mark_behind(monkeypatch, settings):
    settings.REDIS_URL = "redis://shared-cache"
    cache.delete(services.DELIVERY_QUEUED_KEY)
    made = []

    def refused():
        made.append("tried")
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(tasks.deliver_outbox, "delay", refused)
    _commit_a_message()
    _commit_a_message(1)
    assert made == ["tried", "tried"]


def test_without_a_shared_cache_every_commit_queues_its_task(monkeypatch, settings):
    settings.REDIS_URL = ""
    made = []
    monkeypatch.setattr(tasks.deliver_outbox, "delay", lambda: made.append("task"))
    for n in range(2):
        _commit_a_message(n)
    assert made == ["task", "task"]
