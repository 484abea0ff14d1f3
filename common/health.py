"""Liveness and readiness for the load balancer and the orchestrator.

`/healthz` says the process answers, touching nothing else, so a database outage never
gets healthy servers restarted. `/readyz` checks each dependency a request needs and
says which one failed, by name and error type only: error texts can hold addresses or
credentials.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse

PROBE_SECONDS = 2


def liveness() -> JsonResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readiness() -> JsonResponse:
    checks = {name: _timed(check) for name, check in CHECKS.items() if _enabled(name)}
    ready = all(result["ok"] for result in checks.values())
    response = JsonResponse({"status": "ok" if ready else "fail", "checks": checks})
    response.status_code = 200 if ready else 503
    return _no_store(response)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=PROBE_SECONDS)
    if cache.get(key) != "1":
        raise LookupError("the cache did not return what was just written")
    cache.delete(key)


def _check_broker() -> None:
    from deposit_claims.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=PROBE_SECONDS)


def _check_storage() -> None:
    default_storage.exists("readyz-probe")


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "storage": _check_storage,
}


def _enabled(name: str) -> bool:
    return name != "broker" or settings.BROKER_CONFIGURED


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        result = {"ok": False, "error": type(error).__name__}
    else:
        result = {"ok": True}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response
