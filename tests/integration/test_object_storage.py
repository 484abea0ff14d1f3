"""A gunicorn server whose evidence lives on S3 (moto on loopback), as production runs."""

import json

import pytest
from django.urls import reverse

from disputes import services
from tests.disputes.world import png
from tests.factories import PNG_BYTES

from .browser import Browser, log_in

pytestmark = pytest.mark.postgres


def test_evidence_on_s3_is_served_to_its_party_through_the_server(
    two_web_servers, s3_storage, file, consumer
):
    server_on_s3 = two_web_servers[1]
    complaint = file()
    (evidence,) = services.add_evidence_files(
        complaint=complaint, uploader=consumer, kind="photo", files=[png()]
    )
    browser = Browser()
    log_in(browser, server_on_s3, consumer.username)

    download = reverse("disputes:consumer_evidence_file", args=[complaint.number, evidence.pk])
    status, headers, body = browser.fetch(server_on_s3 + download)

    assert status == 200
    assert body == PNG_BYTES
    assert headers["Content-Disposition"].startswith("attachment;")
    ready = json.loads(browser.get(server_on_s3 + "/readyz")[1])
    assert ready["status"] == "ok"
    assert set(ready["checks"]) == {"database", "cache", "broker", "storage"}
