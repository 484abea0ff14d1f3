"""The reader's side of notifications: marking them read, choosing what to hear."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import pagecache
from common.db import atomic_service
from merchants.models import MerchantMember

from .. import notifications as notices


@atomic_service
def mark_notification_read(*, notification) -> None:
    if notification.read_at is None:
        type(notification).objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        pagecache.bump(pagecache.reader_scope(notification.user_id))


@atomic_service
def save_notification_settings(
    *, user, muted: set[str], daily_digest: bool, language: str, now: datetime
) -> None:
    """Which topics reach `user` on which channel, whether a store's person takes updates
    as a daily digest, and the language of their messages."""
    channels = notices.channels_of(user)
    known = {notices.muted(topic, channel) for topic in notices.TOPICS for channel in channels}
    if not muted <= known:
        raise ValidationError(_("Choose among the topics and channels shown."), code="invalid")
    if channels and all(notices.muted(notices.ACTION, c) in muted for c in channels):
        raise ValidationError(
            _(
                "Keep at least one way to hear what needs your action: "
                "a missed deadline can decide a complaint."
            ),
            code="action_muted",
        )
    if daily_digest and not MerchantMember.objects.filter(user=user).exists():
        raise ValidationError(
            _("The daily digest is for a store's people."), code="digest_not_for_consumers"
        )
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose a language offered."), code="invalid_language")
    if daily_digest and not user.daily_digest:
        # What was sent one by one before today is not sent again in the first digest.
        user.digest_sent_at = now
    user.muted_notices = sorted(muted)
    user.daily_digest = daily_digest
    user.language = language
    user.save(update_fields=["muted_notices", "daily_digest", "digest_sent_at", "language"])
