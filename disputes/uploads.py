"""Evidence and proofs: only JPEG, PNG, WebP or PDF, judged by content, never by name."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES_PER_PARTY = 20


def sniff_content_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def validate_upload(upload) -> str:
    """The file's real content type, or a ValidationError naming the file."""
    name = getattr(upload, "name", "") or ""
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than 10 MB."), code="too_large", params={"name": name}
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a JPEG, PNG, WebP or PDF file."),
            code="file_type",
            params={"name": name},
        )
    return content_type
