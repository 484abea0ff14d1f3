"""Changes that reach the party pages without going through a complaint's or a deposit's
lock (those bump in the services): the console's edits, imports, memberships, payouts sent.
Each makes the cached pages showing it stale once it commits (common.pagecache)."""

from django.db.models.signals import post_delete, post_save

from common import pagecache

from .models import COMPLAINT_REFERENCE


def _complaint_changed(sender, instance, **kwargs):
    pagecache.bump_complaints([instance])


def _store_changed(sender, instance, **kwargs):
    pagecache.bump(pagecache.store_scope(instance.pk))


def _member_changed(sender, instance, **kwargs):
    pagecache.bump(
        pagecache.store_scope(instance.merchant_id), pagecache.reader_scope(instance.user_id)
    )


def _order_changed(sender, instance, **kwargs):
    pagecache.bump(
        pagecache.store_scope(instance.merchant_id), pagecache.consumer_scope(instance.consumer_id)
    )


def _reader_changed(sender, instance, **kwargs):
    pagecache.bump(pagecache.reader_scope(instance.pk))


def _payout_changed(sender, instance, **kwargs):
    scopes = [pagecache.consumer_scope(instance.payee_id)]
    if instance.reference.startswith(COMPLAINT_REFERENCE):
        scopes.append(("complaint", instance.reference.removeprefix(COMPLAINT_REFERENCE)))
    pagecache.bump(*scopes)


def connect() -> None:
    from accounts.models import User
    from deposits.models import Disbursement
    from merchants.models import Merchant, MerchantMember, Order

    from .models import Complaint

    receivers = [
        (Complaint, _complaint_changed),
        (Merchant, _store_changed),
        (MerchantMember, _member_changed),
        (Order, _order_changed),
        (User, _reader_changed),
        (Disbursement, _payout_changed),
    ]
    for model, receiver in receivers:
        post_save.connect(receiver, sender=model, weak=False)
        post_delete.connect(receiver, sender=model, weak=False)
