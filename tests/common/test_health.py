import json

import pytest

from common import health

pytestmark = pytest.mark.django_db


def test_liveness_answers_any_host_over_plain_http_without_touching_a_dependency(
    client, settings, django_assert_num_queries
):
    settings.ALLOWED_HOSTS = ["claims.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readiness_checks_the_database_the_cache_and_the_storage(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage"}  # no broker configured
    assert all(check["ok"] for check in body["checks"].values())


def test_readiness_fails_naming_the_dependency_but_never_its_error_text(client, monkeypatch):
    def refuse():
        raise ConnectionError("could not connect to postgres://admin:s3cret@db.internal/claims")

    monkeypatch.setitem(health.CHECKS, "database", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "ConnectionError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert body["checks"]["cache"]["ok"] is True
    assert "s3cret" not in json.dumps(body)


def test_readiness_checks_the_broker_when_one_is_configured(client, settings):
    settings.BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    from deposit_claims.celery import app

    configured, app.conf.broker_url = app.conf.broker_url, settings.CELERY_BROKER_URL
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = configured
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_the_probes_answer_only_reads(client):
    assert client.post("/healthz").status_code != 200
