"""Telling each party what needs their action: in-app notifications, e-mail and SMS.

A notification stores an event name and its parameters, so it is shown in the reader's
language at the time they read it. Its e-mail (to an account's e-mail address) and text
message (to an account's mobile login) are written to the outbox in the same transaction,
each in its recipient's language, and sent after commit. Each person chooses, by topic,
which channels carry what (`User.muted_notices`); a store's people may take the topics
that need no action as one e-mail a day instead (`digests`). In-app notices are always
kept.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from common import pagecache
from common.dates import format_moment
from common.db import insert_rows
from outbox.models import OutboundMessage
from outbox.services import queue_messages

from .models import Notification

EVENTS = {
    "filed": _("New complaint %(number)s about “%(item)s”. Answer by %(due)s."),
    "accepted": _(
        "The merchant accepted your claim on %(number)s: %(amount)s. "
        "The merchant pays you directly."
    ),
    "refused": _(
        "The merchant refused %(number)s. You can ask the platform to step in until %(due)s."
    ),
    "offer_made": _(
        "The merchant offers %(amount)s to settle %(number)s. Accept or decline by %(due)s."
    ),
    "offer_accepted": _(
        "The consumer accepted your offer on %(number)s: pay %(amount)s directly to the consumer."
    ),
    "offer_declined": _("The consumer declined your offer on %(number)s."),
    "offer_expired": _(
        "The offer on %(number)s expired unanswered. "
        "You can ask the platform to step in until %(due)s."
    ),
    "escalated": _(
        "%(number)s is now under platform review. %(held)s of the deposit is held for it."
    ),
    "escalated_silent": _(
        "The merchant did not answer %(number)s in time, so the platform stepped in."
    ),
    "withdrawn": _("The consumer withdrew complaint %(number)s."),
    "lapsed": _("Complaint %(number)s closed: it was neither escalated nor settled in time."),
    "reopened": _(
        "The consumer reports the settlement of %(number)s was not paid; "
        "the platform is reviewing it."
    ),
    "message": _("New message on %(number)s."),
    "evidence": _("New evidence on %(number)s."),
    "reminder": _("Reminder: %(number)s needs your action by %(due)s."),
    "info_requested": _("The platform asks for more information on %(number)s. Answer by %(due)s."),
    "info_answered": _("New information on %(number)s: review can go on."),
    "decided_paid": _(
        "Decision on %(number)s: %(amount)s awarded and paid from the deposit. "
        "Either side may appeal until %(due)s."
    ),
    "decided_pay_first": _(
        "Decision on %(number)s: the merchant pays %(amount)s directly by %(due)s, "
        "or the deposit is charged."
    ),
    "rejected": _(
        "Decision on %(number)s: the complaint is rejected. You may appeal until %(due)s."
    ),
    "sent_back": _("The award on %(number)s was sent back for another look."),
    "payout_account_needed": _(
        "%(amount)s for %(number)s is ready to be sent to you. Choose where you want it, an "
        "Alipay account or a bank card, by %(due)s; otherwise it goes to the Alipay account "
        "of your login."
    ),
    "payout_account_reminder": _(
        "Reminder: choose where to receive %(amount)s for %(number)s by %(due)s; otherwise "
        "it goes to the Alipay account of your login."
    ),
    "payout_account_fallback": _(
        "No payout account was chosen for %(number)s in time, so %(amount)s goes to the "
        "Alipay account of your login (%(account)s). You can still choose another account "
        "until it is sent."
    ),
    "direct_payment": _(
        "The merchant records paying you %(amount)s for %(number)s, with proof. Check that "
        "the money arrived: if it did not, you can report it unpaid until %(due)s."
    ),
    "direct_payment_late": _(
        "The merchant records paying you %(amount)s for %(number)s, with proof. "
        "Check that the money arrived."
    ),
    "merchant_paid": _("The merchant reports paying you %(amount)s for %(number)s, with proof."),
    "appealed": _("%(number)s was appealed. Respond by %(due)s."),
    "appeal_answered": _(
        "The other party responded to the appeal on %(number)s; a senior reviewer resolves it."
    ),
    "appeal_resolved": _("The appeal on %(number)s is resolved: %(outcome)s. This is final."),
    "closed": _(
        "%(number)s is closed. If you are not satisfied, the consumer association (12315) "
        "and the courts remain open to you."
    ),
}


# What the settings page groups events by. A topic with a deadline for its reader always
# reaches them on at least one channel, and never waits for a digest.
ACTION = "action"
UPDATES = "updates"
DECISIONS = "decisions"
MESSAGES = "messages"
TOPICS = {
    ACTION: (
        _("What needs your action, with its deadline"),
        (
            "filed",
            "refused",
            "offer_made",
            "offer_expired",
            "offer_accepted",
            "info_requested",
            "reminder",
            "appealed",
            "decided_pay_first",
            "direct_payment",
            "payout_account_needed",
            "payout_account_reminder",
        ),
    ),
    DECISIONS: (
        _("Decisions and appeals"),
        ("decided_paid", "rejected", "appeal_resolved"),
    ),
    MESSAGES: (
        _("Messages and evidence"),
        ("message", "evidence", "info_answered"),
    ),
    UPDATES: (
        _("Other progress of your complaints"),
        (
            "accepted",
            "offer_declined",
            "escalated",
            "escalated_silent",
            "withdrawn",
            "lapsed",
            "reopened",
            "sent_back",
            "direct_payment_late",
            "merchant_paid",
            "appeal_answered",
            "closed",
            "payout_account_fallback",
        ),
    ),
}
TOPIC_OF = {event: topic for topic, (_label, events) in TOPICS.items() for event in events}
DIGEST_TOPICS = (DECISIONS, MESSAGES, UPDATES)
DIGEST_EVENTS = [event for topic in DIGEST_TOPICS for event in TOPICS[topic][1]]

EMAIL = OutboundMessage.Channel.EMAIL
SMS = OutboundMessage.Channel.SMS
CHANNEL_NAMES = {EMAIL: _("E-mail"), SMS: _("Text message")}


def channels_of(user) -> list[str]:
    """The channels that can reach `user`: e-mail to an address, SMS to a mobile login."""
    return [
        channel for channel, address in ((EMAIL, user.email_address), (SMS, user.mobile)) if address
    ]


def muted(topic: str, channel: str) -> str:
    return f"{topic}:{channel}"


def sends(user, event: str, channel: str) -> bool:
    """Whether `event` goes to `user` on `channel` as it happens."""
    topic = TOPIC_OF.get(event, ACTION)
    if user.daily_digest and topic in DIGEST_TOPICS:
        return False
    return muted(topic, channel) not in (user.muted_notices or ())


def render(notification: Notification) -> str:
    return render_event(notification.event, notification.params)


def render_event(event: str, params: dict) -> str:
    template = EVENTS.get(event)
    if template is None:
        return event
    return str(template) % _display_params(params)


def _display_params(params: dict) -> dict:
    """Turn stored ISO times into the reader's local format; the rest is shown as stored."""
    shown = dict(params)
    for key in ("due",):
        if shown.get(key):
            shown[key] = _local_time(shown[key])
    return shown


def _local_time(stored: str) -> str:
    return format_moment(timezone.localtime(datetime.fromisoformat(stored)))


@dataclass(frozen=True)
class Notice:
    """What one event tells some users about one complaint."""

    users: list
    complaint: object
    event: str
    url: str
    params: dict = field(default_factory=dict)


def notify(*, users, complaint, event: str, url: str, **params) -> None:
    """Record an in-app notification for each user and send it on their channels once the
    write commits."""
    notify_many([Notice(list(users), complaint, event, url, params)])


def notify_many(notices: list[Notice]) -> None:
    """Several notices in one INSERT, their e-mails and text messages queued in one more."""
    rows, messages = [], []
    rendered = {}
    for notice in notices:
        users = [u for u in notice.users if u is not None and getattr(u, "pk", None)]
        params = {
            "number": notice.complaint.number,
            **{k: _storable(v) for k, v in notice.params.items()},
        }
        rows.extend(
            {
                "user_id": user.pk,
                "complaint_id": notice.complaint.pk,
                "event": notice.event,
                "params": params,
                "url": notice.url,
            }
            for user in users
        )
        for user in users:
            messages.extend(_messages_to(user, notice.event, params, notice.url, rendered))
    if rows:
        insert_rows(Notification, rows)
        pagecache.bump(*{pagecache.reader_scope(row["user_id"]) for row in rows})
    if messages:
        queue_messages(messages)


def _storable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _messages_to(user, event: str, params: dict, url: str, rendered: dict) -> list[tuple]:
    addresses = {EMAIL: user.email_address, SMS: user.mobile}
    wanted = [channel for channel in channels_of(user) if sends(user, event, channel)]
    if not wanted:
        return []
    subject, email_body, sms_body = _texts(event, params, url, user.message_language, rendered)
    return [
        (EMAIL, addresses[EMAIL], subject, email_body)
        if channel == EMAIL
        else (SMS, addresses[SMS], "", sms_body)
        for channel in wanted
    ]


def _texts(event: str, params: dict, url: str, language: str, rendered: dict) -> tuple:
    """A notice's e-mail subject, e-mail body and text message in `language`. A batch
    translates each event's wording once a language and formats each time once; per
    notice only its values are filled in (`rendered` keeps what was translated)."""
    subject, wording, sms = _wording(event, language, rendered)
    if params.get("due"):
        params = {**params, "due": _local_time_in(params["due"], language, rendered)}
    text = wording % params if wording is not None else event
    link = f"{settings.SITE_URL}{url}"
    return subject % params, f"{text}\n\n{link}\n", sms % {"text": text, "link": link}


def _wording(event: str, language: str, rendered: dict) -> tuple:
    key = ("wording", language, event)
    if key not in rendered:
        template = EVENTS.get(event)
        with translation.override(language):
            rendered[key] = (
                str(_("[Deposit Claims] %(number)s")),
                str(template) if template is not None else None,
                str(_("[Deposit Claims] %(text)s %(link)s")),
            )
    return rendered[key]


def _local_time_in(stored: str, language: str, rendered: dict) -> str:
    key = ("due", language, stored)
    if key not in rendered:
        with translation.override(language):
            rendered[key] = _local_time(stored)
    return rendered[key]
