"""The shared cache reuses one Redis client instead of building one per call."""

import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCacheClient

from common.redis_cache import SharedClientRedisCache

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def shared_cache():
    # A prefix of its own: tests running at once in other processes use the same keys.
    prefix = f"test-redis-cache-{uuid.uuid4().hex}"
    backend = SharedClientRedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
    try:
        backend.get("probe")
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield backend
    backend.delete_many(["a", "b"])


def test_calls_share_one_client(shared_cache, monkeypatch):
    built = []
    real = redis.Redis.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)
    for _ in range(5):
        shared_cache.set("a", 1)
        shared_cache.get("a")
    shared_cache.delete_many(["a", "b"])
    assert len(built) <= 1


def test_it_stores_and_reads_as_django_s_own_redis_cache(shared_cache):
    assert isinstance(shared_cache._cache, RedisCacheClient)
    shared_cache.set("a", {"amount": "1.00"})
    assert shared_cache.add("a", "other") is False
    assert shared_cache.get_many(["a", "b"]) == {"a": {"amount": "1.00"}}
    shared_cache.delete("a")
    assert shared_cache.get("a") is None
