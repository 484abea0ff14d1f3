"""A transaction deletes the page versions it made stale in one round trip, after commit."""

import pytest
from django.core.cache import cache
from django.db import transaction

from common import pagecache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def deletions(monkeypatch):
    made = []
    real = cache.delete_many

    def counted(keys):
        made.append(sorted(keys))
        real(keys)

    monkeypatch.setattr(pagecache.cache, "delete_many", counted)
    return made


def _version(scope):
    return cache.get(pagecache._version_key(scope))


def _versions(*scopes):
    for scope in scopes:
        cache.set(pagecache._version_key(scope), "v1")


def test_every_scope_a_transaction_touches_is_deleted_in_one_round_trip(
    deletions, django_capture_on_commit_callbacks
):
    _versions(("store", 1), ("store", 2), ("consumer", 7))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        pagecache.bump(("store", 1))
        with transaction.atomic():
            pagecache.bump(("store", 2), ("consumer", 7))
        pagecache.bump(("store", 1))

    assert len(callbacks) == 1
    assert len(deletions) == 1
    assert [_version(s) for s in [("store", 1), ("store", 2), ("consumer", 7)]] == [None] * 3


def test_nothing_is_deleted_before_the_commit(deletions, django_capture_on_commit_callbacks):
    _versions(("store", 1))
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        pagecache.bump(("store", 1))
    assert deletions == []
    assert _version(("store", 1)) == "v1"


def test_a_deletion_registered_in_a_savepoint_rolled_back_is_registered_again(
    deletions, django_capture_on_commit_callbacks
):
    _versions(("store", 1), ("store", 2))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            pagecache.bump(("store", 1))
            raise RuntimeError("this savepoint rolls back")
        pagecache.bump(("store", 2))

    assert len(callbacks) == 1
    assert _version(("store", 2)) is None


def test_a_change_rolled_back_deletes_nothing(deletions):
    _versions(("store", 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        pagecache.bump(("store", 1))
        raise RuntimeError("the change failed")
    assert deletions == []
    assert _version(("store", 1)) == "v1"
