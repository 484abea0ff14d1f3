"""A gunicorn server whose evidence lives on S3 (moto on loopback), as production runs."""

import json

import pytest
from django.urls import reverse

from disputes import services
from tests.disputes.world import png
from tests.factories import PNG_BYTES
from tests.moto_s3 import s3_variables

from . import processes
from .browser import Browser, log_in

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_on_s3(stack_env, s3_endpoint, bucket, tmp_path):
    env = {**stack_env, **s3_variables(s3_endpoint, bucket)}
    server, url = processes.gunicorn("web-s3", env, tmp_path)
    yield url
    server.stop()


def test_evidence_on_s3_is_served_to_its_party_through_the_server(
    server_on_s3, s3_storage, file, consumer
):
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
