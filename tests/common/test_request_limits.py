import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FIFTY_ONE_MB = 51 * 1024 * 1024


def test_a_body_declared_too_large_is_refused_before_it_is_read(client, monkeypatch):
    from django.core.handlers.wsgi import WSGIRequest

    read = []
    monkeypatch.setattr(WSGIRequest, "read", lambda self, *a: read.append(1) or b"")

    response = client.post(
        reverse("accounts:login"),
        {"username": "a@example.com", "password": "x"},
        CONTENT_LENGTH=str(FIFTY_ONE_MB),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 413
    assert read == []
    assert response["Connection"] == "close"
    assert b"at most 50 MB" in response.content


def test_the_way_back_leads_only_to_this_site(client):
    outside = client.post(
        "/", CONTENT_LENGTH=str(FIFTY_ONE_MB), HTTP_REFERER="https://evil.example/phish"
    )
    assert outside.context["back_url"] == "/"
    page = "http://testserver" + reverse("disputes:consumer_complaints")
    inside = client.post("/", CONTENT_LENGTH=str(FIFTY_ONE_MB), HTTP_REFERER=page)
    assert inside.context["back_url"] == page


def test_a_body_within_the_limit_goes_through(client):
    response = client.post(
        reverse("accounts:login"), {"username": "a@example.com", "password": "x"}
    )
    assert response.status_code == 200  # the login form, with its error


def test_the_limit_is_a_setting(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = client.post(reverse("accounts:login"), {"username": "a" * 200, "password": "x"})
    assert response.status_code == 413
