"""The Celery broker the measured processes queue their tasks to, as production does.

No worker consumes it: the figures include queueing each e-mail task (as a request or a
sweep step does in production), not sending it. The harness empties the broker's Redis
database at the end of the run; it must be one no other program uses.
"""

from urllib.parse import urlsplit

import redis

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"


def check_broker_url(url: str) -> str | None:
    """Why the URL cannot be the harness's broker, if it cannot."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return "the broker must be Redis (redis://host:port/db)"
    if parts.path.strip("/") in ("", "0"):
        return "name a Redis database of the harness's own, not 0 (e.g. redis://127.0.0.1:6379/15)"
    return None


class Broker:
    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=30)

    def queued(self) -> int:
        """Messages waiting in the broker's queues (Redis lists)."""
        try:
            return sum(
                self.client.llen(key)
                for key in self.client.scan_iter(count=1000)
                if self.client.type(key) == b"list"
            )
        except redis.RedisError as error:
            raise RuntimeError(f"the Celery broker {self.url} cannot be read: {error}") from error

    def purge(self) -> int:
        """Empty the broker's database; returns the messages it held."""
        queued = self.queued()
        self.client.flushdb()
        return queued
