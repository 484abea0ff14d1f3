"""Evidence and proofs: only JPEG, PNG, WebP or PDF, judged by content, never by name."""

import io
import re
import zlib

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

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


# --- what is stored: images re-encoded, PDFs without active content --------------------

IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# A photo of a receipt needs far fewer; more is a decompression bomb, refused unread.
MAX_IMAGE_PIXELS = 40_000_000
# What a PDF may not carry: scripts, actions that launch programs, attached files.
ACTIVE_PDF_CONTENT = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
MAX_INFLATED_BYTES = 50 * 1024 * 1024


def checked_upload(upload) -> tuple[File, str]:
    """The file to store and its real content type: an image decoded and encoded afresh,
    which drops its metadata (a phone photo's EXIF holds where it was taken) and turns it
    upright; a PDF as sent, once it is known to hold no script or attached file. Anything
    else is refused with a ValidationError naming the file."""
    content_type = validate_upload(upload)
    name = getattr(upload, "name", "") or ""
    if content_type == "application/pdf":
        _refuse_active_pdf(upload, name)
        upload.seek(0)
        return upload, content_type
    return _reencoded(upload, content_type, name), content_type


def _reencoded(upload, content_type: str, name: str) -> File:
    unreadable = ValidationError(
        _("“%(name)s” could not be read as an image."), code="unreadable", params={"name": name}
    )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise unreadable
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image)
            upright.info.clear()
            if IMAGE_FORMATS[content_type] == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            encoded = io.BytesIO()
            upright.save(encoded, IMAGE_FORMATS[content_type], quality=90)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise unreadable from None
    return ContentFile(encoded.getvalue(), name=name)


def _refuse_active_pdf(upload, name: str) -> None:
    upload.seek(0)
    data = upload.read()
    for text in (data, *_inflated_streams(data)):
        if ACTIVE_PDF_CONTENT.search(PDF_NAME_ESCAPE.sub(_unescape, text)):
            raise ValidationError(
                _("“%(name)s” contains scripts or attached files; send a plain PDF."),
                code="active_pdf",
                params={"name": name},
            )


def _unescape(match) -> bytes:
    return bytes([int(match.group(1), 16)])


def _inflated_streams(data: bytes):
    """Each compressed stream's content (objects can hide inside them), never more than
    MAX_INFLATED_BYTES in all: a stream that would inflate past it is refused too."""
    budget = MAX_INFLATED_BYTES
    for stream in PDF_STREAM.findall(data):
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(stream, budget)
        except zlib.error:
            continue
        if inflater.unconsumed_tail:
            yield b"/JavaScript"  # too large to check: treated as unsafe
            return
        budget -= len(text)
        yield text
