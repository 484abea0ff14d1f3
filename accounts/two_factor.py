"""The second factor of every console user: an authenticator app (TOTP) and single-use
recovery codes.

Staff pass it at each console login (accounts.middleware.ConsoleTwoFactorMiddleware); at
the first, they enrol their app. Wrong codes slow further tries down (django-otp's
throttling, doubling from one second). For a lost phone, `manage.py reset_two_factor`
removes both, and the next login enrols again.
"""

import math
import re
from base64 import b32encode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
APP_CODE = re.compile(r"\d{6}")


def confirmed_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_app(user) -> TOTPDevice:
    """The app being enrolled: its secret stays the same until enrolment succeeds."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed: base32, in fours."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_app(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Enrol the app whose current code is given; returns it and fresh recovery codes."""
    with transaction.atomic():
        if confirmed_app(user) is not None:
            raise ValidationError(
                _("Your authenticator app is already set up."), code="already_enrolled"
            )
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ValidationError(
                _("Start again: open this page to get a new code to scan."), code="no_enrolment"
            )
        refusal = _refusal(device, _app_code(code))
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _replace_recovery_codes(user)
    # Raised after the commit: a wrong code must still count towards the slow-down.
    if refusal is not None:
        raise refusal
    return device, codes


def verify(*, user, code: str):
    """The device that accepts this code: the app's six digits, or a recovery code (used up)."""
    app_code = _app_code(code)
    with transaction.atomic():
        if APP_CODE.fullmatch(app_code):
            device = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
            refusal = _refusal(device, app_code)
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user).first()
            refusal = _refusal(device, _recovery_code(code))
    if refusal is not None:
        raise refusal
    return device


def new_recovery_codes(*, user) -> list[str]:
    """A new set of recovery codes; the earlier ones stop working."""
    with transaction.atomic():
        return _replace_recovery_codes(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def reset(*, user) -> int:
    """Remove the user's app and recovery codes (a lost phone); how many were removed.

    Any session that passed with them is no longer verified, so the next console request
    asks to enrol again."""
    with transaction.atomic():
        apps, _detail = TOTPDevice.objects.filter(user=user).delete()
        recovery, _detail = StaticDevice.objects.filter(user=user).delete()
    return apps + recovery


def _replace_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME)
    device.token_set.all().delete()
    tokens = [StaticToken.random_token() for _each in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    # Shown in capitals, which base32 keeps apart (no 1 to take for an l).
    return [f"{token[:4]}-{token[4:]}".upper() for token in tokens]


def _app_code(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def _recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _refusal(device, code: str) -> ValidationError | None:
    """Why the device refuses the code, or None once it accepted it (and recorded that)."""
    wrong = ValidationError(
        _("That code is not right. Enter the six digits your app shows now, or a recovery code."),
        code="wrong_code",
    )
    if device is None:
        return wrong
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = (details["locked_until"] - timezone.now()).total_seconds()
        seconds = max(1, math.ceil(wait))
        return ValidationError(
            ngettext(
                "Too many wrong codes. Try again in %(seconds)s second.",
                "Too many wrong codes. Try again in %(seconds)s seconds.",
                seconds,
            ),
            code="throttled",
            params={"seconds": seconds},
        )
    return None if device.verify_token(code) else wrong
