"""The parties' conversation: messages and evidence."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.db import atomic_service

from ..models import (
    Complaint,
    Evidence,
    Message,
    Party,
)
from ..notifications import notify
from ..permissions import (
    is_reviewer,
)
from ._common import (
    _consumer_url,
    _lock,
    _merchant_url,
    _merchant_users,
    _not_allowed,
    _party_of,
    _store_files,
    _text,
)

# --- conversation ---------------------------------------------------------------------


@atomic_service
def post_message(*, complaint: Complaint, author, body: str, internal: bool = False) -> Message:
    complaint = _lock(complaint, timezone.now())
    party = _party_of(complaint, author)
    if internal and not is_reviewer(complaint, author):
        raise _not_allowed(_("write internal notes on"))
    if complaint.status == Complaint.Status.CLOSED and party != Party.PLATFORM:
        raise _not_allowed(_("write on"))
    message = Message.objects.create(
        complaint=complaint,
        author=author,
        party=party,
        body=_text(body, label=_("The message")),
        internal=internal,
    )
    if not internal:
        if party != Party.CONSUMER:
            notify(
                users=[complaint.consumer],
                complaint=complaint,
                event="message",
                url=_consumer_url(complaint),
            )
        if party != Party.MERCHANT:
            notify(
                users=_merchant_users(complaint),
                complaint=complaint,
                event="message",
                url=_merchant_url(complaint),
            )
    return message


@atomic_service
def add_evidence_files(
    *, complaint: Complaint, uploader, kind: str, files, description: str = ""
) -> list[Evidence]:
    """Attach files to a complaint: all of them, or none if any is refused."""
    complaint = _lock(complaint, timezone.now())
    party = _party_of(complaint, uploader)
    if complaint.status in (Complaint.Status.CLOSED, Complaint.Status.WITHDRAWN):
        raise _not_allowed(_("add evidence to"))
    if not files:
        raise ValidationError(_("Choose at least one file."), code="no_files")
    stored = _store_files(complaint, uploader, party, [(kind, f) for f in files], description)
    if party == Party.CONSUMER:
        notify(
            users=_merchant_users(complaint),
            complaint=complaint,
            event="evidence",
            url=_merchant_url(complaint),
        )
    else:
        notify(
            users=[complaint.consumer],
            complaint=complaint,
            event="evidence",
            url=_consumer_url(complaint),
        )
    return stored
