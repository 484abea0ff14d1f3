"""`Idempotency-Key` on every POST: the first answer to a key is kept 24 hours and
replayed, byte for byte, to every later request with the same key.

Race-safe without holding a transaction open across the call: the record is inserted,
committed, before the endpoint runs (the unique (client, key) constraint lets one request
in), and completed with the answer afterwards. A second request with the key while the
first still runs hears 409 `idempotency_in_progress` and may retry. An answer of 5xx is
not kept: the record goes, and the same key may be tried again.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApiError, error_response
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Started:
    record: IdempotencyRecord


def request_digest(request) -> str:
    """What makes two requests the same: method, path, and the body. A multipart body is
    read as its fields and files, since its boundary differs on every send."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field {name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"file {name}={upload.name}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def start(request, client, key: str) -> Started | HttpResponse:
    """Claim `key` for this request, or the answer to give instead: the first answer
    again, or 409 when the key is in use by another request or was sent with another."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return error_response(
            ApiError(
                400,
                "idempotency_key_invalid",
                _("An Idempotency-Key is 1 to 255 characters."),
            )
        )
    digest = request_digest(request)
    now = timezone.now()
    IdempotencyRecord.objects.filter(
        client=client, key=key, created_at__lte=now - LIFETIME
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                client=client,
                key=key,
                method=request.method,
                path=request.path[:300],
                request_digest=digest,
                created_at=now,
            )
    except IntegrityError:
        return _answer_for_used_key(client, key, digest)
    return Started(record)


def _answer_for_used_key(client, key: str, digest: str) -> HttpResponse:
    earlier = IdempotencyRecord.objects.filter(client=client, key=key).first()
    if earlier is not None and earlier.request_digest != digest:
        return error_response(
            ApiError(
                409,
                "idempotency_key_reused",
                _("This Idempotency-Key was used with another request."),
            )
        )
    if earlier is None or earlier.response_status is None:
        return error_response(
            ApiError(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still running; try again shortly."),
            )
        )
    response = HttpResponse(
        bytes(earlier.response_body),
        status=earlier.response_status,
        content_type=earlier.response_content_type,
    )
    response[REPLAY_HEADER] = "true"
    return response


def finish(started: Started, response: HttpResponse) -> None:
    record = started.record
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=response.status_code,
        response_body=response.content,
        response_content_type=response.get("Content-Type", ""),
    )


def forget_expired(now=None) -> int:
    """Delete the records older than their lifetime; the number deleted."""
    now = now or timezone.now()
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lte=now - LIFETIME).delete()
    return deleted
