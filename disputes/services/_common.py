"""Helpers every stage shares: locking and saving a complaint, checking the actor,
the parties' pages and notices, storing evidence, holds on the deposit."""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, has_transition_perm

from common import pagecache
from common.db import lock_claim_group
from common.prepared import PreparedRead
from common.recorded_text import MARK
from deposits import services as ledger
from deposits.models import DepositAccount
from merchants.models import MerchantMember

from .. import selectors
from ..models import (
    ZERO,
    Complaint,
    Evidence,
    Party,
)
from ..notifications import Notice, notify_many
from ..permissions import (
    act_as_consumer,
    act_for_merchant,
    is_system,
    store_membership,
)
from ..uploads import MAX_FILES_PER_PARTY, checked_upload


def _not_allowed(action: str) -> ValidationError:
    return ValidationError(
        _("You cannot %(action)s this complaint now."),
        code="not_allowed",
        params={"action": action},
    )


def _amount(value, *, label, allow_zero=False) -> Decimal:
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise ValidationError(_("%(label)s must be an amount in yuan."), params={"label": label})
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            _("%(label)s can have at most two decimals."), params={"label": label}
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(_("%(label)s must be more than zero."), params={"label": label})
    return amount


def _text(value: str, *, label, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("%(label)s is required."), params={"label": label})
    if len(text) > max_length:
        raise ValidationError(
            _("%(label)s can be at most %(max)s characters."),
            params={"label": label, "max": max_length},
        )
    return text


# The complaint's row alone: its order, store (and its deposit account, for the steps
# that move money) and consumer are read, never locked. Every step on a complaint takes it
# first: compiled once.
_LOCKED_COMPLAINT = PreparedRead(
    lambda pk: (
        Complaint.objects.select_for_update(no_key=True, of=("self",))
        .select_related("order", "merchant__deposit_account", "consumer", "payout_destination")
        .filter(pk=pk)
    )
)


def _lock(complaint: Complaint, now: datetime) -> Complaint:
    locked = _LOCKED_COMPLAINT.get(complaint.pk)
    if locked is None:
        raise Complaint.DoesNotExist("The complaint is gone.")
    # Whatever the action changes, the pages showing this complaint are stale once it commits.
    pagecache.bump_complaints([locked])
    return locked.as_of(now)


def _lock_claim_group_of(complaint: Complaint) -> None:
    """Take the claim group's lock before the complaint's (the order in ``common.db``). A
    complaint's consumer and store never change: the caller's copy names them."""
    lock_claim_group(consumer_id=complaint.consumer_id, merchant_id=complaint.merchant_id)


def _save(complaint: Complaint) -> None:
    try:
        complaint.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("Someone else changed this complaint a moment ago. Reload the page and try again."),
            code="conflict",
        ) from None


def _check(complaint: Complaint, transition, actor, action: str) -> None:
    if not has_transition_perm(transition, actor):
        raise _not_allowed(action)


def _merchant_users(complaint):
    return _merchant_users_of([complaint])[complaint.merchant_id]


def _consumer_url(complaint) -> str:
    return reverse("disputes:complaint", kwargs={"number": complaint.number})


def _merchant_url(complaint) -> str:
    return reverse("disputes:seller_complaint", kwargs={"number": complaint.number})


def _notices_to_both(complaint, event: str, merchant_users, **params) -> list[Notice]:
    """Both parties' notices, each with the link to their own page of the complaint."""
    return _notices_to_both_of_each(
        [complaint], event, {complaint.merchant_id: merchant_users}, **params
    )


def _notices_to_both_of_each(
    complaints, event: str, merchant_users: dict, **params
) -> list[Notice]:
    """`_notices_to_both` for many complaints (`merchant_users` by store), the two links
    reversed once for all of them."""
    consumer_url = _link_by_number("disputes:complaint")
    merchant_url = _link_by_number("disputes:seller_complaint")
    return [
        notice
        for c in complaints
        for notice in (
            Notice([c.consumer], c, event, consumer_url(c.number), params),
            Notice(merchant_users[c.merchant_id], c, event, merchant_url(c.number), params),
        )
    ]


# No URL holds this; it marks where a complaint's number goes in a reversed link.
_NUMBER_PLACE = "number-goes-here"


def _link_by_number(url_name: str) -> Callable[[str], str]:
    """`reverse(url_name, kwargs={"number": n})` for any n, reversed once: a sweep batch
    links to hundreds of complaints, and a reverse costs more than its notice's row."""
    before, _place, after = reverse(url_name, kwargs={"number": _NUMBER_PLACE}).partition(
        _NUMBER_PLACE
    )
    return lambda number: f"{before}{quote(number, safe=RFC3986_SUBDELIMS + '/~:@')}{after}"


def _notify_both(complaint, event: str, **params) -> None:
    notify_many(_notices_to_both(complaint, event, _merchant_users(complaint), **params))


def _check_grants(complaint, actor, *, settling: Decimal | None = None) -> None:
    """A member of the store without the owner's grant for this step hears why, rather
    than "you cannot ... now"; anyone else is refused by the checks that follow.
    `settling`: the amount the step commits the store to (an offer, an acceptance)."""
    membership = store_membership(complaint, actor)
    if membership is None:
        return
    if settling is None:
        membership.check_may_answer()
    else:
        membership.check_may_settle(settling)


def _party_of(complaint, actor) -> str:
    if act_as_consumer(complaint, actor):
        return Party.CONSUMER
    _check_grants(complaint, actor)
    if act_for_merchant(complaint, actor):
        return Party.MERCHANT
    if actor.is_authenticated and actor.is_staff:
        return Party.PLATFORM
    raise _not_allowed(_("take part in"))


def _log_actor(actor):
    return None if is_system(actor) else actor


def _evidence_description(description: str | None) -> str:
    """What the uploader wrote, trimmed; what the platform wrote, recorded whole
    (common.recorded_text)."""
    text = description or ""
    return text if text.startswith(MARK) else text.strip()[:300]


def _store_evidence(
    complaint: Complaint, uploader, party: str, kind: str, file, description: str, **extra
) -> Evidence:
    if kind not in Evidence.Kind.values:
        raise ValidationError(_("Choose the type of evidence."), code="kind")
    original_name = getattr(file, "name", "") or ""
    file, content_type = checked_upload(file)
    if complaint.evidence.filter(party=party).count() >= MAX_FILES_PER_PARTY:
        raise ValidationError(
            _("Each side can attach at most %(max)s files to a complaint."),
            code="too_many",
            params={"max": MAX_FILES_PER_PARTY},
        )
    evidence = Evidence(
        complaint=complaint,
        uploaded_by=uploader,
        party=party,
        kind=kind,
        content_type=content_type,
        size=file.size,
        original_name=original_name[-200:],
        # A description the platform wrote is recorded whole (common.recorded_text).
        description=_evidence_description(description),
        **extra,
    )
    evidence.file.save("upload", file, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def _store_files(
    complaint, uploader, party: str, kinds_and_files, description: str = "", **extra
) -> list[Evidence]:
    """Store every file or none: a refused file removes the ones already written to storage."""
    stored = []
    try:
        for kind, file in kinds_and_files:
            stored.append(
                _store_evidence(complaint, uploader, party, kind, file, description, **extra)
            )
    except Exception:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    return stored


def _likely_award(complaint: Complaint):
    """What a complaint is likely to be awarded: the claim, at most the suggestion."""
    return min(complaint.claimed_amount, complaint.suggested_amount)


def _hold_likely_award(complaint: Complaint, actor, occasion: str) -> None:
    """Freeze the likely award up to what is available."""
    account = _account(complaint)
    likely = _likely_award(complaint)
    ledger.hold(
        account=account,
        amount=likely,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:hold:{occasion}",
        actor=_log_actor(actor),
        cap_at_available=True,
    )
    complaint.held_amount = ledger.held_for(account=account, reference=complaint.ledger_reference)


def _release_hold(complaint: Complaint, actor, occasion: str) -> None:
    if not complaint.held_amount:
        return
    account = _account(complaint)
    ledger.release_hold(
        account=account,
        reference=complaint.ledger_reference,
        idempotency_key=f"{complaint.ledger_reference}:release:{occasion}",
        actor=_log_actor(actor),
    )
    complaint.held_amount = ZERO


# Most steps tell one store's staff: that read is compiled once.
_STAFF_OF = PreparedRead(
    lambda merchant_id: MerchantMember.objects.filter(merchant_id=merchant_id).select_related(
        "user"
    )
)


def _merchant_users_of(complaints) -> dict:
    """Each store's staff, by store id (an empty list for a store without any)."""
    stores = {c.merchant_id for c in complaints}
    if len(stores) == 1:
        found = _STAFF_OF.all(*stores)
    else:
        found = MerchantMember.objects.filter(merchant_id__in=stores).select_related("user")
    members = defaultdict(list)
    for member in found:
        members[member.merchant_id].append(member.user)
    return members


def _account(complaint) -> DepositAccount:
    """The store's deposit account, as `_lock` read it; opened if the store has none yet."""
    try:
        return complaint.merchant.deposit_account
    except DepositAccount.DoesNotExist:
        return ledger.get_or_open_account(merchant=complaint.merchant)


def _policy(now):
    return selectors.deadline_policy(now)


def _appeal_until(now):
    return now + _policy(now).days("appeal_window_days")
