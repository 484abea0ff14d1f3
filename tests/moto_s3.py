"""A moto S3 server on loopback, for the tests of evidence on object storage.

The storage comes from the project's own settings, read from the DJANGO_S3_* variables as
in production; each test gets its own bucket, so none sees the objects of another.
"""

import http.client
import os
import runpy
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage

import deposit_claims.settings as project_settings

REGION = "us-east-1"
ACCESS_KEY_ID = "moto-access-key"
SECRET_ACCESS_KEY = "moto-secret-key"
PREFIX = "uploads"
STARTUP_SECONDS = 30


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unsigned_get(url: str) -> int:
    """The status of a GET with no credentials at all, as a stranger holding the URL sends it."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        return connection.getresponse().status
    finally:
        connection.close()


def _wait_until_answering(endpoint: str, server: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto_server exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            unsigned_get(f"{endpoint}/moto-api/")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto_server did not answer within {STARTUP_SECONDS}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A moto S3 server of this test session (one per xdist worker), on loopback only."""
    port = _free_loopback_port()
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        # Anything in the server that tried to reach out would hit a closed port instead.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(endpoint, server, log_path)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def s3(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture
def bucket(s3) -> str:
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_storage(settings, monkeypatch, s3_endpoint, bucket):
    """The default storage as the settings make it from the DJANGO_S3_* variables.

    Assigning STORAGES sends `setting_changed`, on which Django drops its cached backends
    and `default_storage`, so the file fields write to the bucket from here on.
    """
    for name, value in s3_variables(s3_endpoint, bucket).items():
        monkeypatch.setenv(name, value)
    configured = runpy.run_path(project_settings.__file__)["STORAGES"]["default"]
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": configured}
    return default_storage


def s3_variables(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "DJANGO_S3_BUCKET": bucket,
        "DJANGO_S3_ENDPOINT_URL": endpoint,
        "DJANGO_S3_REGION": REGION,
        "DJANGO_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "DJANGO_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "DJANGO_S3_PREFIX": PREFIX,
    }
