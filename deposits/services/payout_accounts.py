"""Payout accounts and destinations, and rotating the keys of their numbers."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common import encryption, pagecache
from common.db import atomic_service

from ..destinations import Destination
from ..models import Disbursement, PayoutAccount
from ..selectors import (
    ACCOUNT_REMINDER_INTERVAL,
)

# --- payout accounts and destinations --------------------------------------------------


@atomic_service
def save_payout_account(
    *, owner, method: str, number: str, bank_name: str = "", holder_name: str = ""
) -> PayoutAccount:
    """Check an account a person typed and keep it for them (encrypted); the same account
    typed again is the one kept before, not a second copy."""
    typed = Destination.checked(
        method=method, number=number, bank_name=bank_name, holder_name=holder_name
    )
    plain = typed.number()
    same_kind = PayoutAccount.objects.filter(
        owner=owner,
        method=typed.method,
        number_masked=typed.number_masked,
        bank_name=typed.bank_name,
        holder_name=typed.holder_name,
    )
    # A handful of rows at most: each is decrypted to compare, as the tokens never match.
    for saved in same_kind:
        if saved.destination.number() == plain:
            return saved
    # Every page of theirs that offers their saved accounts is stale once this commits.
    pagecache.bump(pagecache.reader_scope(owner.pk))
    return PayoutAccount.objects.create(
        owner=owner,
        method=typed.method,
        bank_name=typed.bank_name,
        holder_name=typed.holder_name,
        number_encrypted=typed.number_encrypted,
        number_masked=typed.number_masked,
    )


def _lock_disbursement(disbursement: Disbursement) -> Disbursement:
    disbursement.refresh_from_db(from_queryset=Disbursement.objects.select_for_update(no_key=True))
    return disbursement


def _save_destination(disbursement: Disbursement, *extra: str) -> None:
    disbursement.save(update_fields=[*Disbursement.DESTINATION_FIELDS, *extra, "updated_at"])


@atomic_service
def set_payout_destination(
    *, disbursement: Disbursement, destination: Destination, actor
) -> Disbursement:
    """Send an unsent payout to another account: the payee's own choice. A payout waiting
    for its account can now be sent; one sent already keeps the account it went to."""
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status == Disbursement.Status.SENT:
        raise ValidationError(
            _("This payout was sent already; its account can no longer change."),
            code="already_sent",
        )
    disbursement.set_destination(destination)
    disbursement.destination_fell_back = False
    disbursement.status_changed_by = actor
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        disbursement.status = Disbursement.Status.PENDING
    _save_destination(disbursement, "destination_fell_back", "status", "status_changed_by")
    return disbursement


@atomic_service
def fall_back_to_login(*, disbursement: Disbursement, now: datetime) -> bool:
    """A payout still without an account at its `account_due_at` goes to the Alipay
    account of the payee's login, as payouts always did. False when nothing was due (the
    payee chose meanwhile, or another worker did it)."""
    disbursement = _lock_disbursement(disbursement)
    if (
        disbursement.status != Disbursement.Status.AWAITING_ACCOUNT
        or disbursement.account_due_at > now
    ):
        return False
    disbursement.set_destination(Destination.alipay_login(disbursement.payee))
    disbursement.destination_fell_back = True
    disbursement.status = Disbursement.Status.PENDING
    _save_destination(disbursement, "destination_fell_back", "status")
    return True


@atomic_service
def note_account_reminder(*, disbursement: Disbursement, now: datetime) -> bool:
    """Whether the payee is due a reminder to choose an account now, recording that they
    got it: at most one a day (ACCOUNT_REMINDER_INTERVAL after the payout or the last
    reminder) while the payout waits, so a run repeated or run twice reminds once."""
    disbursement = _lock_disbursement(disbursement)
    last = disbursement.account_reminded_at or disbursement.created_at
    if (
        disbursement.status != Disbursement.Status.AWAITING_ACCOUNT
        or disbursement.account_due_at <= now
        or now < last + ACCOUNT_REMINDER_INTERVAL
    ):
        return False
    disbursement.account_reminded_at = now
    disbursement.save(update_fields=["account_reminded_at", "updated_at"])
    return True


# --- the keys of account numbers -----------------------------------------------------------

# Every column holding an encrypted account number (common/encryption.py).
ENCRYPTED_COLUMNS = (
    (PayoutAccount, "number_encrypted"),
    (Disbursement, "payee_account_encrypted"),
)
ROTATION_BATCH = 500


@dataclass
class Rotation:
    rotated: dict[str, int] = field(default_factory=dict)
    # (model label, pk) of the numbers no configured key opens.
    unreadable: list[tuple[str, int]] = field(default_factory=list)


def reencrypt_account_numbers() -> Rotation:
    """Encrypt every stored account number again under the first key of
    DJANGO_PAYOUT_ACCOUNT_KEYS, after a new key was put first. A batch of rows at a time,
    each locked while it changes, so it runs beside the site; running it again is
    harmless. A number no key opens is left as it is and reported."""
    rotation = Rotation()
    for model, column in ENCRYPTED_COLUMNS:
        label, last, done = model._meta.label, 0, 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update(no_key=True)
                    .filter(pk__gt=last)
                    .exclude(**{column: ""})
                    .only("pk", column)
                    .order_by("pk")[:ROTATION_BATCH]
                )
                if not rows:
                    break
                changed = []
                for row in rows:
                    try:
                        setattr(row, column, encryption.rotate(getattr(row, column)))
                    except encryption.UndecryptableError:
                        rotation.unreadable.append((label, row.pk))
                        continue
                    changed.append(row)
                model.objects.bulk_update(changed, [column])
                last, done = rows[-1].pk, done + len(changed)
        rotation.rotated[label] = done
    return rotation
