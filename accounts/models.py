from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .identifiers import is_mobile
from .masking import mask_identifier, mask_name


class User(AbstractUser):
    """A marketplace account. `username` holds the normalised e-mail or mobile number."""

    display_name = models.CharField(_("name"), max_length=60, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the messages sent to this person; the platform's if blank."),
    )
    # Notification settings live on the user, whom every notice loads anyway: telling a
    # party costs no query more. Each entry is "topic:channel" (disputes.notifications).
    muted_notices = models.JSONField(_("notices turned off"), default=list, blank=True)
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("Updates come as one e-mail a day instead of one e-mail each."),
    )
    digest_sent_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The console searches people by the start of their name (and of their login, which
        # as a unique field has a pattern index on PostgreSQL already).
        indexes = [
            models.Index(
                fields=["display_name"],
                name="user_display_name_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            # The daily digest run looks up the few who asked for one.
            models.Index(
                fields=["digest_sent_at"],
                condition=models.Q(daily_digest=True),
                name="user_daily_digest_due",
            ),
        ]

    def __str__(self):
        return self.display_name or self.username

    @property
    def mobile(self) -> str:
        return self.username if is_mobile(self.username) else ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.display_name or self.username)

    @property
    def masked_contact(self) -> str:
        return mask_identifier(self.username)

    @property
    def email_address(self) -> str:
        """Where e-mail reaches this person: their address, or their login if it is one."""
        return self.email or (self.username if "@" in self.username else "")

    @property
    def message_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    def get_full_name(self):
        return self.display_name or self.username

    def get_short_name(self):
        return self.display_name or self.username
