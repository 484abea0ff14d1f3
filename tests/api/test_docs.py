"""The interactive docs and the OpenAPI schema: served to anyone, from our own files,
under the site's Content-Security-Policy."""

import re

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def test_the_docs_page_loads_its_scripts_from_our_static_files_and_none_inline(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    scripts = SCRIPT.findall(response.content.decode())
    sources = [re.search(r'src="([^"]+)"', attributes) for attributes, _body in scripts]
    executable = [
        (attributes, body) for attributes, body in scripts if "application/json" not in attributes
    ]
    assert executable
    for attributes, body in executable:
        source = re.search(r'src="([^"]+)"', attributes)
        assert source and source.group(1).startswith("/static/ninja/")
        assert not body.strip()
    assert any(s and s.group(1).endswith("swagger-ui-bundle.js") for s in sources)
    assert "cdn" not in response.content.decode().lower()


def test_the_docs_page_keeps_the_strict_policy(client):
    policy = client.get("/api/v1/docs")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_the_schema_is_valid_openapi_3_with_bearer_keys(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    schemes = schema["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    paths = set(schema["paths"])
    assert {
        "/api/v1/orders/batch",
        "/api/v1/complaints",
        "/api/v1/complaints/{number}/evidence",
        "/api/v1/payouts/{payout_id}/sent",
    } <= paths
