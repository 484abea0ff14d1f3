"""Telling each party what needs their action: in-app notifications and e-mail.

A notification stores an event name and its parameters, so it is shown in the reader's
language at the time they read it; its e-mail is written to the outbox in the same
transaction, in the platform's default language, and sent after commit.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from common import pagecache
from outbox.services import queue_emails

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


def render(notification: Notification) -> str:
    template = EVENTS.get(notification.event)
    if template is None:
        return notification.event
    return str(template) % _display_params(notification.params)


def _display_params(params: dict) -> dict:
    """Turn stored ISO times into the reader's local format; the rest is shown as stored."""
    shown = dict(params)
    for key in ("due",):
        if shown.get(key):
            moment = timezone.localtime(datetime.fromisoformat(shown[key]))
            shown[key] = date_format(moment, "DATETIME_FORMAT")
    return shown


@dataclass(frozen=True)
class Notice:
    """What one event tells some users about one complaint."""

    users: list
    complaint: object
    event: str
    url: str
    params: dict = field(default_factory=dict)


def notify(*, users, complaint, event: str, url: str, **params) -> None:
    """Record an in-app notification for each user and e-mail them once the write commits."""
    notify_many([Notice(list(users), complaint, event, url, params)])


def notify_many(notices: list[Notice]) -> None:
    """Several notices in one INSERT, their e-mails queued in one more."""
    rows, mails = [], []
    # Both parties of a complaint are told the same text; each text is rendered once.
    texts = {}
    for notice in notices:
        users = [u for u in notice.users if u is not None and getattr(u, "pk", None)]
        params = {
            "number": notice.complaint.number,
            **{k: _storable(v) for k, v in notice.params.items()},
        }
        rows.extend(
            Notification(
                user=user,
                complaint=notice.complaint,
                event=notice.event,
                params=params,
                url=notice.url,
            )
            for user in users
        )
        recipients = [u.email or u.username for u in users if "@" in (u.email or u.username)]
        if recipients:
            mails.append((recipients, *_email(notice.event, params, notice.url, texts)))
    if rows:
        Notification.objects.bulk_create(rows)
        pagecache.bump(*{pagecache.reader_scope(row.user_id) for row in rows})
    if mails:
        queue_emails(mails)


def _storable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _email(event: str, params: dict, url: str, texts: dict) -> tuple[str, str]:
    """The subject and body of a notice's e-mail; `texts` keeps what was rendered already."""
    key = (event, *params.items())
    if key not in texts:
        with translation.override(settings.LANGUAGE_CODE):
            texts[key] = (
                str(_("[Deposit Claims] %(number)s")) % params,
                str(EVENTS[event]) % _display_params(params),
            )
    subject, text = texts[key]
    return subject, f"{text}\n\n{settings.SITE_URL}{url}\n"
