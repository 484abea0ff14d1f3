from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .identifiers import is_mobile
from .masking import mask_identifier, mask_name


class User(AbstractUser):
    """A marketplace account. `username` holds the normalised e-mail or mobile number."""

    display_name = models.CharField(_("name"), max_length=60, blank=True)

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

    def get_full_name(self):
        return self.display_name or self.username

    def get_short_name(self):
        return self.display_name or self.username
