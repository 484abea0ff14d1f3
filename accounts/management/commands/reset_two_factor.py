import logging
from contextlib import suppress

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import two_factor
from accounts.identifiers import normalize_identifier

logger = logging.getLogger("accounts.two_factor")


class Command(BaseCommand):
    help = (
        "Remove a console user's authenticator app and recovery codes (a lost phone): "
        "their next console login sets up a new app."
    )

    def add_arguments(self, parser):
        parser.add_argument("login", help="the user's e-mail, mobile number or login name")

    def handle(self, *args, login, **options):
        spellings = {login}
        # Or a plain login name, such as a superuser's "admin".
        with suppress(ValidationError):
            spellings.add(normalize_identifier(login))
        user = get_user_model().objects.filter(username__in=spellings).first()
        if user is None:
            raise CommandError(f"No account {login!r}.")
        removed = two_factor.reset(user=user)
        logger.warning("second step reset for user %s by manage.py reset_two_factor", user.pk)
        if not removed:
            self.stdout.write(f"{user.username} had no second step set up; nothing changed.")
            return
        self.stdout.write(
            f"Removed the second step of {user.username}: their next console login sets up a "
            "new authenticator app."
        )
