"""Evidence leaves the platform only as an attachment, never rendered by the browser."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404


def evidence_download(complaint, evidence_id) -> FileResponse:
    """The file of one piece of evidence of `complaint` (fetched already scoped to the viewer)."""
    evidence = get_object_or_404(complaint.evidence.all(), pk=evidence_id)
    # Streamed through the app from disk and from S3 alike, never a redirect to a storage
    # URL: a URL can be passed on, and this check is the only way to the bytes.
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=f"{complaint.number}-{evidence.pk}{evidence.extension}",
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
