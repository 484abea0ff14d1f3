"""Account writes: creating accounts and sending one-time links (set a password, join a
store's staff) to an e-mail address or mobile number."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from outbox.services import queue_email, queue_sms

from . import roles
from .identifiers import is_mobile, normalize_identifier

CREATE_LINK_SALT = "accounts.create-account-link"


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
    _send_link(user.username, link, claimed=user.has_usable_password())


def send_create_link(*, username: str, display_name: str, base_url: str) -> None:
    """Queue a link that creates the account when it is used: asking for one writes no
    account, so a stranger's sign-ups leave nothing behind."""
    token = signing.dumps(
        {"username": username, "display_name": display_name}, salt=CREATE_LINK_SALT
    )
    link = base_url + reverse("accounts:create_account", kwargs={"token": token})
    _send_link(username, link, claimed=False)


def _send_link(username: str, link: str, *, claimed: bool) -> None:
    send_link_message(
        username,
        subject=_("Reset your password") if claimed else _("Set your password"),
        email_body=render_to_string(
            "accounts/email/password_link.txt", {"link": link, "claimed": claimed}
        ),
        sms_text=_("[Deposit Claims] Set your password within 24 hours: %(link)s") % {"link": link},
    )


def send_link_message(identifier: str, *, subject: str, email_body: str, sms_text: str) -> None:
    """Queue a message carrying a one-time link to an e-mail address, or by text message to
    a mobile number. The link is a credential: the text is erased once sent."""
    if is_mobile(identifier):
        queue_sms(identifier, sms_text, sensitive=True)
        return
    queue_email([identifier], subject, email_body, sensitive=True)


def create_account(*, identifier: str, display_name: str, password: str, role: str):
    """A new account with its password and one role, for someone who proved they hold the
    identifier by following a link sent to it (a staff invitation)."""
    username = normalize_identifier(identifier)
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        display_name=display_name,
        email=username if "@" in username else "",
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@dataclass(frozen=True)
class AccountRequest:
    """What a create-account link carries: the identifier it was sent to, the name given."""

    username: str
    display_name: str


def read_create_link(token: str) -> AccountRequest | None:
    """The request a link carries, if it is genuine, unexpired and its account not yet made."""
    try:
        data = signing.loads(token, salt=CREATE_LINK_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:
        return None
    request = AccountRequest(data["username"], data["display_name"])
    existing = get_user_model().objects.filter(username=request.username).first()
    if existing is not None and existing.has_usable_password():
        return None
    return request


def remember_language(*, user, language: str) -> None:
    """The language `user` chose on a page is the one their messages are written in."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def create_account_from_link(*, token: str, password: str, language: str = ""):
    """The owner of the identifier, proven by the link, makes the account (or claims the one
    the order import made for it meanwhile) with their password."""
    request = read_create_link(token)
    if request is None:
        raise ValidationError(
            _("This link has been used or has expired. Ask for a new one."), code="invalid_link"
        )
    user, _created = get_or_create_consumer(
        identifier=request.username, display_name=request.display_name
    )
    user.set_password(password)
    user.language = user.language or language
    user.save(update_fields=["password", "language"])
    return user


@transaction.atomic
def request_account_link(
    *, identifier: str, display_name: str, base_url: str, create: bool
) -> None:
    """Sign-up and password reset share one path so that neither reveals who has an account.

    Neither writes to an account: a known one gets a link to set its password, an unknown
    one (sign-up only) a link that creates it when used, with the name given here.
    """
    username = normalize_identifier(identifier)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is not None:
        send_password_link(user=user, base_url=base_url)
    elif create:
        send_create_link(username=username, display_name=display_name, base_url=base_url)
