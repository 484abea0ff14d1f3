"""What is stored of an upload: images encoded afresh without their metadata, PDFs only
without scripts or attached files."""

import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from disputes import services
from disputes.models import Evidence

pytestmark = pytest.mark.django_db

PLAIN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
)


def photo_taken_at_home() -> bytes:
    """A phone photo, turned on its side, that says where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° to view
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 27.0)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(complaint, consumer, name, content):
    return services.add_evidence_files(
        complaint=complaint,
        uploader=consumer,
        kind="photo",
        files=[SimpleUploadedFile(name, content)],
    )


def test_a_photo_is_stored_upright_and_without_where_it_was_taken(complaint, consumer):
    (evidence,) = upload(complaint, consumer, "home.jpg", photo_taken_at_home())

    with evidence.file.open("rb") as stored, Image.open(stored) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (30, 40)
    assert evidence.content_type == "image/jpeg"
    assert evidence.original_name == "home.jpg"
    assert evidence.size == evidence.file.size


def test_a_file_that_only_starts_like_an_image_is_refused(complaint, consumer):
    fake = b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10
    with pytest.raises(ValidationError, match="could not be read as an image"):
        upload(complaint, consumer, "fake.png", fake)
    assert not Evidence.objects.exists()


def test_an_image_of_absurd_size_is_refused_before_it_is_decoded(complaint, consumer):
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 megapixels, a few kB
    with pytest.raises(ValidationError, match="could not be read"):
        upload(complaint, consumer, "bomb.png", out.getvalue())


def test_a_plain_pdf_is_stored_as_sent(complaint, consumer):
    (evidence,) = upload(complaint, consumer, "receipt.pdf", PLAIN_PDF)
    with evidence.file.open("rb") as stored:
        assert stored.read() == PLAIN_PDF


@pytest.mark.parametrize(
    "active",
    [
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",  # names spelled with escapes
        b"<< /Type /Action /S /Launch /F (calc.exe) >>",
        b"<< /Names << /EmbeddedFiles 5 0 R >> >>",
    ],
)
def test_a_pdf_with_a_script_an_action_or_an_attachment_is_refused(complaint, consumer, active):
    pdf = PLAIN_PDF.replace(b"endobj", b"endobj\n3 0 obj " + active + b" endobj", 1)
    with pytest.raises(ValidationError, match="scripts or attached files"):
        upload(complaint, consumer, "invoice.pdf", pdf)
    assert not Evidence.objects.exists()


def test_a_script_hidden_in_a_compressed_stream_is_found(complaint, consumer):
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    pdf = PLAIN_PDF.replace(
        b"endobj",
        b"endobj\n4 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj",
        1,
    )
    with pytest.raises(ValidationError, match="scripts or attached files"):
        upload(complaint, consumer, "invoice.pdf", pdf)
