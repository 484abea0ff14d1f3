"""Queue a message inside the transaction of the change it reports; deliver it after commit.

Delivery claims due rows with SKIP LOCKED, so several workers never send one row twice at
once; a row is marked sent in the transaction that sent it. A process killed between the
send and that commit sends the message again later: a message may arrive twice, never not
at all.
"""

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from common import requestid
from common.db import insert_rows

from .models import OutboundMessage
from .sms import send_sms

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_ATTEMPTS = 12


def queue_email(recipients, subject: str, body: str, *, sensitive: bool = False) -> None:
    _queue(OutboundMessage.Channel.EMAIL, recipients, subject, body, sensitive)


def queue_sms(recipient: str, body: str, *, sensitive: bool = False) -> None:
    _queue(OutboundMessage.Channel.SMS, [recipient], "", body, sensitive)


def queue_messages(messages: list[tuple[str, str, str, str]]) -> None:
    """Many (channel, recipient, subject, body) in one INSERT, as a notice to several people
    or a deadline batch writes them."""
    _save([_row(channel, to, subject, body, False) for channel, to, subject, body in messages])


def _queue(channel, recipients, subject, body, sensitive) -> None:
    _save([_row(channel, to, subject, body, sensitive) for to in dict.fromkeys(recipients)])


def _row(channel, recipient, subject, body, sensitive) -> dict:
    return {
        "channel": channel,
        "recipient": recipient,
        "subject": str(subject)[:200],
        "body": str(body),
        "sensitive": sensitive,
        "request_id": requestid.get(),
    }


def _save(rows: list[dict]) -> None:
    if not rows:
        return
    insert_rows(OutboundMessage, rows)
    _deliver_after_commit()


def _deliver_after_commit() -> None:
    """One delivery task per transaction, however many messages it queued. A task already
    registered runs whenever these rows commit: were a savepoint it belongs to rolled back,
    Django would have dropped it, and a savepoint still open encloses these rows too."""
    if connection.in_atomic_block and any(
        callback is _start_delivery for _savepoints, callback, _robust in connection.run_on_commit
    ):
        return
    # Robust: a broker that is down must not fail a request whose change has committed;
    # the periodic delivery picks the message up.
    transaction.on_commit(_start_delivery, robust=True)


def _start_delivery() -> None:
    from .tasks import deliver_outbox

    if not _mark_delivery_queued():
        return
    try:
        deliver_outbox.delay()
    except Exception:
        forget_queued_delivery()
        raise


# While a delivery task waits in the broker, a commit needs no task of its own: that task
# claims every row committed before it starts. Queueing a Celery task costs more than the
# rest of a payout's work after its commit, so with a cache every process shares, commits
# queue one task between them. The task forgets the mark before it claims rows, so a row
# committed later queues the next one; a mark whose task was lost lapses, and beat's
# periodic run delivers meanwhile.
DELIVERY_QUEUED_KEY = "outbox:delivery-queued"
DELIVERY_QUEUED_SECONDS = 30


def _mark_delivery_queued() -> bool:
    """Whether this commit must queue a delivery task (no other one is waiting)."""
    if not settings.REDIS_URL:
        return True
    try:
        return cache.add(DELIVERY_QUEUED_KEY, 1, timeout=DELIVERY_QUEUED_SECONDS)
    except Exception:
        logger.warning("outbox: the shared cache is unreachable; queueing a delivery task")
        return True


def forget_queued_delivery() -> None:
    if settings.REDIS_URL:
        try:
            cache.delete(DELIVERY_QUEUED_KEY)
        except Exception:
            logger.warning("outbox: the shared cache is unreachable; its mark lapses")


def retry_delay(attempts: int) -> timedelta:
    """Doubling from OUTBOX_RETRY_SECONDS, at most an hour apart."""
    return timedelta(seconds=min(settings.OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1), 3600))


class Delivery(NamedTuple):
    sent: int
    # The earliest next attempt of a message that failed in this run, if one did.
    next_retry_at: datetime | None


def deliver_due(now: datetime | None = None) -> Delivery:
    """Send every message due by `now`, a batch per transaction, until none is left."""
    now = now or timezone.now()
    sent, retries = 0, []
    while True:
        with transaction.atomic():
            batch = _claim_due(now)
            if not batch:
                return Delivery(sent, min(retries, default=None))
            with _mail_connection() as mail:
                for message in batch:
                    if _send(message, now, mail):
                        sent += 1
                    elif message.gave_up_at is None:
                        retries.append(message.send_after)
            OutboundMessage.objects.bulk_update(
                batch, ["sent_at", "gave_up_at", "attempts", "last_error", "send_after", "body"]
            )


def _claim_due(now: datetime) -> list[OutboundMessage]:
    due = OutboundMessage.objects.filter(
        sent_at__isnull=True, gave_up_at__isnull=True, send_after__lte=now
    ).order_by("send_after", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return list(due[:BATCH_SIZE])


def _send(message: OutboundMessage, now: datetime, mail) -> bool:
    token = requestid.current_request_id.set(message.request_id)
    try:
        if message.channel == OutboundMessage.Channel.SMS:
            send_sms(message.recipient, message.body)
        else:
            EmailMessage(
                message.subject, message.body, None, [message.recipient], connection=mail
            ).send(fail_silently=False)
    except Exception as error:
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.gave_up_at = now
            logger.error("outbox: message %s given up after %s attempts", message.pk, MAX_ATTEMPTS)
        else:
            message.send_after = now + retry_delay(message.attempts)
            logger.warning(
                "outbox: message %s failed (attempt %s), next at %s: %s",
                message.pk,
                message.attempts,
                message.send_after.isoformat(),
                message.last_error,
            )
        return False
    else:
        message.sent_at = now
        if message.sensitive:
            message.body = ""
        logger.info("outbox: message %s sent by %s", message.pk, message.channel)
        return True
    finally:
        requestid.current_request_id.reset(token)


@contextmanager
def _mail_connection():
    """One connection for a batch; if it cannot open, each message tries again and fails
    alone, with the error recorded on it."""
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception:
        logger.warning("outbox: the mail server refused a connection", exc_info=True)
    try:
        yield mail
    finally:
        mail.close()


@transaction.atomic
def try_again_now(messages) -> int:
    """A person's retry of unsent messages, given up ones included; sent ones stay sent."""
    count = messages.filter(sent_at__isnull=True).update(
        send_after=timezone.now(), gave_up_at=None, attempts=0
    )
    if count:
        _deliver_after_commit()
    return count
