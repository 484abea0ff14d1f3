"""Events the domain announces through signals: a complaint's state changes (django-fsm's
`post_transition`, sent inside the service's transaction before the complaint is saved, so
a failed save rolls the event back with it) and a payout's status (`post_save` of a
disbursement: made, or saved with a new status)."""

from . import events
from .models import EventType

PAYOUT_EVENTS = {
    "pending": EventType.PAYOUT_QUEUED,
    "awaiting_account": EventType.PAYOUT_AWAITING_ACCOUNT,
    "sent": EventType.PAYOUT_SENT,
    "failed": EventType.PAYOUT_FAILED,
}
COMPLAINT_REFERENCE = "complaint:"


def complaint_status_changed(sender, instance, name, source, target, **kwargs):
    # `take`, `refuse`, `make_offer`… return the state they started from: no change.
    if sender._meta.label != "disputes.Complaint" or source == target or "exception" in kwargs:
        return
    events.complaint_event(
        EventType.COMPLAINT_STATUS_CHANGED,
        instance,
        at=instance.now,
        **{"from": source, "to": target, "transition": name},
    )


def disbursement_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and "status" not in (update_fields or ()):
        return
    complaint = (
        instance.reference.removeprefix(COMPLAINT_REFERENCE)
        if instance.reference.startswith(COMPLAINT_REFERENCE)
        else None
    )
    if created and complaint and instance.payee_kind == "consumer":
        # The payout's ledger entry and its account are the ones just posted: no query.
        # Recorded first: reading the store's subscriptions reads the payment system's too.
        events.deposit_event(
            EventType.DEPOSIT_CLAIM_PAID,
            instance.ledger_entry.account.merchant_id,
            complaint=complaint,
            amount=events.money(instance.amount),
        )
    events.record(
        PAYOUT_EVENTS[instance.status],
        data={
            "payout": instance.pk,
            "status": instance.status,
            "amount": events.money(instance.amount),
            "payee_kind": instance.payee_kind,
            "complaint": complaint,
            "reference": instance.reference,
            "method": instance.method or None,
            "payee_account_masked": instance.payee_account_masked or None,
            "destination_version": instance.destination_version,
            "account_due_at": events.moment(instance.account_due_at),
            "attempts": instance.attempts,
            "external_reference": instance.external_reference or None,
            "failure_reason": instance.failure_reason or None,
            "sent_at": events.moment(instance.sent_at),
        },
        ordering_key=(
            events.complaint_key(complaint) if complaint else f"disbursement:{instance.pk}"
        ),
    )
