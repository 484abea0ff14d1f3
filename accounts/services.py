"""Account writes: creating consumer accounts and sending the set-password link."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from outbox.services import queue_email, queue_sms

from . import roles
from .identifiers import is_mobile, normalize_identifier


def get_or_create_consumer(*, identifier: str, display_name: str = ""):
    """The consumer account for an e-mail or mobile number, created without a usable password.

    The person behind the identifier claims it later by setting a password through the link
    that `send_password_link` delivers to that address.
    """
    User = get_user_model()
    username = normalize_identifier(identifier)
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": display_name,
                "email": username if "@" in username else "",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=roles.CONSUMERS))
        elif display_name and not user.display_name:
            user.display_name = display_name
            user.save(update_fields=["display_name"])
    return user, created


def send_password_link(*, user, base_url: str) -> None:
    """Queue a one-time link to set (or reset) the password, to the account's own address;
    it leaves after the caller's transaction commits, and its text is erased once sent."""
    link = base_url + reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    claimed = user.has_usable_password()
    if is_mobile(user.username):
        queue_sms(
            user.username,
            _("[Deposit Claims] Set your password within 24 hours: %(link)s") % {"link": link},
            sensitive=True,
        )
        return
    subject = _("Reset your password") if claimed else _("Set your password")
    body = render_to_string(
        "accounts/email/password_link.txt", {"user": user, "link": link, "claimed": claimed}
    )
    queue_email([user.username], subject, body, sensitive=True)


@transaction.atomic
def request_account_link(
    *, identifier: str, display_name: str, base_url: str, create: bool
) -> None:
    """Sign-up and password reset share one path so that neither reveals who has an account."""
    User = get_user_model()
    username = normalize_identifier(identifier)
    if create:
        user, _created = get_or_create_consumer(identifier=username, display_name=display_name)
    else:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            return
    send_password_link(user=user, base_url=base_url)
