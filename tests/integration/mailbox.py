"""An e-mail backend for processes started by the integration tests: each message becomes
one file in INTEGRATION_MAILBOX, so the test counts what was really sent, by whom.

A recipient whose address starts with "flaky" is refused on its first attempt, which is
remembered on disk, so a retry in another process of the worker succeeds.
"""

import os
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


def folder() -> Path:
    return Path(os.environ["INTEGRATION_MAILBOX"])


def delivered(recipient: str) -> list[str]:
    """The bodies of every message sent to `recipient`."""
    return [
        path.read_text().split("\n", 2)[2]
        for path in sorted(folder().glob("*.eml"))
        if path.read_text().split("\n", 1)[0] == recipient
    ]


class Mailbox(BaseEmailBackend):
    def send_messages(self, messages):
        for message in messages:
            for recipient in message.to:
                self._refuse_first_attempt_of_flaky(recipient)
                text = f"{recipient}\n{message.subject}\n{message.body}"
                (folder() / f"{uuid.uuid4().hex}.eml").write_text(text)
        return len(messages)

    def _refuse_first_attempt_of_flaky(self, recipient: str) -> None:
        if not recipient.startswith("flaky"):
            return
        marker = folder() / f"{recipient}.refused"
        if not marker.exists():
            marker.touch()
            raise ConnectionRefusedError("the mail server refused the first attempt")
