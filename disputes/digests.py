"""The daily digest: a store's people who asked for it get the day's updates as one
message at 09:00 Beijing time instead of one message each (`notifications.sends`).

What needs their action never waits for it (`notifications.DIGEST_TOPICS`). Users due are
claimed with SKIP LOCKED and marked sent in the transaction that queues their digest, so
two runs at once send nobody two digests.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.dates import PLATFORM_TIME
from outbox.services import queue_messages

from .models import Notification
from .notifications import DIGEST_EVENTS, EMAIL, SMS, TOPIC_OF, muted, render_event

DIGEST_TIME = time(9, 0)
BATCH_SIZE = 200
# A digest lists this many updates and links to the rest.
MOST_LISTED = 30


def digest_slot(now: datetime) -> datetime:
    """The latest 09:00 (Beijing time) at or before `now`: a digest is due once a slot."""
    local = timezone.localtime(now, PLATFORM_TIME)
    slot = datetime.combine(local.date(), DIGEST_TIME, tzinfo=PLATFORM_TIME)
    return slot if slot <= local else slot - timedelta(days=1)


def send_due_digests(now: datetime) -> int:
    """Queue each due digest; how many people were due."""
    slot = digest_slot(now)
    done = 0
    while True:
        with transaction.atomic():
            users = _claim_due(slot)
            if not users:
                return done
            _queue_digests(users, now)
            get_user_model().objects.filter(pk__in=[u.pk for u in users]).update(digest_sent_at=now)
            done += len(users)


def _claim_due(slot: datetime) -> list:
    due = (
        get_user_model()
        .objects.filter(daily_digest=True)
        .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lt=slot))
        .order_by("pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, no_key=True)
    return list(due[:BATCH_SIZE])


def _queue_digests(users: list, now: datetime) -> None:
    earliest = min((u.digest_sent_at for u in users if u.digest_sent_at), default=None)
    since = earliest or now - timedelta(days=1)
    notices = {}
    for notification in Notification.objects.filter(
        user__in=users, event__in=DIGEST_EVENTS, created_at__gt=since, created_at__lte=now
    ).order_by("created_at", "id"):
        notices.setdefault(notification.user_id, []).append(notification)
    messages = []
    for user in users:
        sent_after = user.digest_sent_at or now - timedelta(days=1)
        mine = [n for n in notices.get(user.pk, []) if n.created_at > sent_after]
        messages.extend(_digest_for(user, mine))
    queue_messages(messages)


def _digest_for(user, notifications: list) -> list[tuple]:
    """One e-mail, or a text message to a mobile login without an e-mail address."""
    channel = EMAIL if user.email_address else SMS if user.mobile else None
    if channel is None:
        return []
    shown = [
        n
        for n in notifications
        if muted(TOPIC_OF.get(n.event), channel) not in (user.muted_notices or ())
    ]
    if not shown:
        return []
    page = settings.SITE_URL + reverse("disputes:notifications")
    with translation.override(user.message_language):
        count = ngettext(
            "%(count)s update on your store's complaints",
            "%(count)s updates on your store's complaints",
            len(shown),
        ) % {"count": len(shown)}
        if channel == SMS:
            body = _("[Deposit Claims] %(text)s %(link)s") % {"text": count, "link": page}
            return [(SMS, user.mobile, "", body)]
        lines = [
            f"• {render_event(n.event, n.params)}\n  {settings.SITE_URL}{n.url}"
            for n in shown[:MOST_LISTED]
        ]
        if len(shown) > MOST_LISTED:
            lines.append(_("…and %(count)s more.") % {"count": len(shown) - MOST_LISTED})
        subject = _("[Deposit Claims] Daily digest: %(count)s") % {"count": count}
        body = "\n\n".join(
            [
                _("Since your last digest:"),
                *lines,
                _("Every notification: %(link)s") % {"link": page},
            ]
        )
    return [(EMAIL, user.email_address, subject, body + "\n")]
