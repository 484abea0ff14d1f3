"""Text messages to accounts named by a mobile number.

The backend is chosen by settings.SMS_BACKEND, like Django's e-mail backends: the console
backend logs the message (development), the locmem backend keeps it in `outbox` (tests),
and production points the setting at a gateway class with the same `send` method.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list[tuple[str, str]] = []


class ConsoleBackend:
    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class LocmemBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append((to, body))


def send_sms(to: str, body: str) -> None:
    import_string(settings.SMS_BACKEND)().send(to, body)
