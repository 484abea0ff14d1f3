"""Sending disbursements: sent, failed, retried."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.dates import local_datetime
from common.db import atomic_service

from ..models import Disbursement
from ._ledger import (
    _required_text,
)
from .payout_accounts import (
    _lock_disbursement,
)

# --- sending disbursements --------------------------------------------------------------


def _check_finance(actor) -> None:
    """Only finance records what happened to a payout, whichever page or API reports it."""
    if not actor.has_perm("deposits.send_disbursement"):
        raise PermissionDenied(_("Only finance records what happens to a payout."))


@atomic_service
def mark_disbursement_sent(
    *,
    disbursement: Disbursement,
    external_reference: str,
    actor,
    destination_version: int | None = None,
) -> Disbursement:
    """Finance sent the money. `destination_version`, from the page finance sent it from,
    refuses the step when the payee changed the account since that page was shown."""
    _check_finance(actor)
    external_reference = _required_text(external_reference, label=_("The payment reference"))
    disbursement = _lock_disbursement(disbursement)
    if (
        disbursement.status == Disbursement.Status.SENT
        and disbursement.external_reference == external_reference
    ):
        return disbursement
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        raise _awaiting_account(disbursement)
    if disbursement.status != Disbursement.Status.PENDING:
        raise ValidationError(
            _("Only a pending disbursement can be marked sent (this one is %(status)s)."),
            code="not_pending",
            params={"status": disbursement.get_status_display()},
        )
    if destination_version is not None and destination_version != disbursement.destination_version:
        raise ValidationError(
            _(
                "The payee changed the account after this page was shown. Check the new "
                "account and send the money there."
            ),
            code="destination_changed",
        )
    disbursement.status = Disbursement.Status.SENT
    disbursement.external_reference = external_reference
    disbursement.sent_at = timezone.now()
    disbursement.status_changed_by = actor
    disbursement.save(
        update_fields=[
            "status",
            "external_reference",
            "sent_at",
            "status_changed_by",
            "updated_at",
        ]
    )
    return disbursement


def _awaiting_account(disbursement: Disbursement) -> ValidationError:
    return ValidationError(
        _(
            "The payee has not chosen an account yet: nothing can be sent until they do, or "
            "until %(due)s, when the payout goes to the Alipay account of their login."
        ),
        code="awaiting_account",
        params={"due": local_datetime(disbursement.account_due_at)},
    )


@atomic_service
def mark_disbursement_failed(*, disbursement: Disbursement, reason: str, actor) -> Disbursement:
    _check_finance(actor)
    reason = _required_text(reason, label=_("The reason"))
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status == Disbursement.Status.FAILED:
        return disbursement
    if disbursement.status == Disbursement.Status.AWAITING_ACCOUNT:
        raise _awaiting_account(disbursement)
    if disbursement.status != Disbursement.Status.PENDING:
        raise ValidationError(
            _("Only a pending disbursement can fail (this one is %(status)s)."),
            code="not_pending",
            params={"status": disbursement.get_status_display()},
        )
    disbursement.status = Disbursement.Status.FAILED
    disbursement.failure_reason = reason
    disbursement.status_changed_by = actor
    disbursement.save(update_fields=["status", "failure_reason", "status_changed_by", "updated_at"])
    return disbursement


@atomic_service
def retry_disbursement(*, disbursement: Disbursement, actor) -> Disbursement:
    _check_finance(actor)
    disbursement = _lock_disbursement(disbursement)
    if disbursement.status != Disbursement.Status.FAILED:
        raise ValidationError(
            _("Only a failed disbursement can be retried (this one is %(status)s)."),
            code="not_failed",
            params={"status": disbursement.get_status_display()},
        )
    disbursement.status = Disbursement.Status.PENDING
    disbursement.attempts += 1
    disbursement.status_changed_by = actor
    disbursement.save(update_fields=["status", "attempts", "status_changed_by", "updated_at"])
    return disbursement
