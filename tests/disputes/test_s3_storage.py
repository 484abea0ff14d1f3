"""Evidence on S3-compatible object storage, proven against a moto server on loopback."""

import io
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

from disputes import services
from tests.disputes.world import png
from tests.factories import PNG_BYTES, ConsumerFactory, EvidenceFactory
from tests.moto_s3 import PREFIX, unsigned_get

pytestmark = pytest.mark.django_db


def _keys(s3, bucket) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _upload(complaint, consumer):
    (evidence,) = services.add_evidence_files(
        complaint=complaint, uploader=consumer, kind="photo", files=[png()]
    )
    return evidence


def _download_url(name, complaint, evidence):
    return reverse(f"disputes:{name}", args=[complaint.number, evidence.pk])


def test_an_upload_lands_in_the_bucket_and_not_on_disk(
    s3_storage, s3, bucket, complaint, consumer, settings
):
    evidence = _upload(complaint, consumer)
    key = f"{PREFIX}/{evidence.file.name}"
    assert _keys(s3, bucket) == {key}
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == PNG_BYTES
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*"))


def test_both_parties_download_the_exact_bytes_through_the_page(
    client, s3_storage, complaint, consumer, store
):
    evidence = _upload(complaint, consumer)
    for user, name in ((consumer, "consumer_evidence_file"), (store.staff, "seller_evidence_file")):
        client.force_login(user)
        response = client.get(_download_url(name, complaint, evidence))
        assert response.status_code == 200
        assert response.streaming
        assert b"".join(response.streaming_content) == PNG_BYTES
        assert response["Content-Length"] == str(len(PNG_BYTES))
        assert response["Content-Disposition"] == (
            f'attachment; filename="{complaint.number}-{evidence.pk}.png"'
        )
        assert response["Content-Type"] == "image/png"
        assert "Location" not in response


def test_another_consumer_or_merchant_gets_404(
    client, s3_storage, complaint, consumer, other_store
):
    evidence = _upload(complaint, consumer)
    for user, name in (
        (ConsumerFactory(), "consumer_evidence_file"),
        (other_store.owner, "seller_evidence_file"),
    ):
        client.force_login(user)
        assert client.get(_download_url(name, complaint, evidence)).status_code == 404


def test_the_object_is_private_and_a_signed_url_expires_within_minutes(
    s3_storage, s3, s3_endpoint, bucket, complaint, consumer
):
    evidence = _upload(complaint, consumer)
    assert unsigned_get(f"{s3_endpoint}/{bucket}/{PREFIX}/{evidence.file.name}") == 403
    # The same request reads an object made public on purpose: the 403 is the object's ACL.
    s3.put_object(Bucket=bucket, Key="public.png", Body=PNG_BYTES, ACL="public-read")
    assert unsigned_get(f"{s3_endpoint}/{bucket}/public.png") == 200
    signed = s3_storage.url(evidence.file.name)
    assert "X-Amz-Expires=300" in signed
    assert unsigned_get(signed) == 200


@pytest.fixture
def aged_uploads(s3_storage):
    """A referenced upload and an orphan, then a second later a fresh orphan; and the moment
    half a second short of a day after the fresh one, when only the first two are a day old."""
    referenced = EvidenceFactory().file.name
    orphan = s3_storage.save("evidence/2026/11/orphan.png", ContentFile(PNG_BYTES))
    time.sleep(1.1)  # S3 keeps modification times to the second
    fresh = s3_storage.save("evidence/2026/11/fresh.png", ContentFile(PNG_BYTES))
    nearly_a_day_later = s3_storage.get_modified_time(fresh) + timedelta(hours=24, seconds=-0.5)
    return referenced, orphan, fresh, nearly_a_day_later


def test_old_objects_no_complaint_refers_to_are_deleted_and_the_rest_kept(aged_uploads, s3, bucket):
    referenced, orphan, fresh, nearly_a_day_later = aged_uploads
    out = io.StringIO()
    with time_machine.travel(nearly_a_day_later, tick=False):
        call_command("clean_orphan_uploads", stdout=out)
    assert _keys(s3, bucket) == {f"{PREFIX}/{referenced}", f"{PREFIX}/{fresh}"}
    assert f"deleted {orphan}" in out.getvalue()
    assert "1 orphaned file(s) deleted" in out.getvalue()


def test_a_dry_run_deletes_no_object(aged_uploads, s3, bucket):
    referenced, orphan, fresh, nearly_a_day_later = aged_uploads
    out = io.StringIO()
    with time_machine.travel(nearly_a_day_later, tick=False):
        call_command("clean_orphan_uploads", "--dry-run", stdout=out)
    assert _keys(s3, bucket) == {f"{PREFIX}/{name}" for name in (referenced, orphan, fresh)}
    assert "would delete evidence/2026/11/orphan.png" in out.getvalue()
    assert "1 orphaned file(s) found" in out.getvalue()
