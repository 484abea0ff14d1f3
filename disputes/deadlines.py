"""Deadlines act by themselves: every app's "what is due now" function, run in layer order."""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q

from common.db import MAX_ATTEMPTS, is_lock_conflict
from deposits import selectors as deposit_selectors
from deposits.deadlines import process_due_top_ups
from deposits.models import Disbursement

from . import services
from .digests import send_due_digests
from .models import Complaint
from .permissions import SYSTEM
from .selectors import deadline_policy

logger = logging.getLogger(__name__)

# A complaint can take a few steps in one run (an offer expires, then the negotiation
# lapses); more than this means something is wrong with it, and it waits for a person.
MAX_STEPS_PER_COMPLAINT = 3


# Rows claimed per transaction: the per-row costs (the claim, the commit) are shared, and a
# batch step writes its rows in a few statements. Batches that move money lock each store's
# deposit once, last, in the order of the accounts (`charge_deposits`); the other steps
# that move money keep one transaction each, so a store's deposit is never locked for long.
BATCH_SIZE = 200


def _claim(queryset, skipped, size: int) -> list[Complaint]:
    """The most overdue rows; on PostgreSQL rows another worker holds are skipped, not
    waited for, so several workers share a storm of deadlines and none takes a row twice."""
    queryset = queryset.exclude(pk__in=skipped).order_by("due_at", "pk").select_related("consumer")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return list(queryset[:size])


def _act(item, act: Callable[[object], object], *, name: str | None = None) -> bool:
    """Apply one step in a savepoint, again after a lock conflict; False when it is left.
    `name` says what the item is in the log (a complaint names itself by its number)."""
    name = name or f"complaint {item.number}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                act(item)
            return True
        except ValidationError as error:
            logger.warning("deadlines: %s left as it is: %s", name, error)
            return False
        except DatabaseError as error:
            if not is_lock_conflict(error):
                logger.exception("deadlines: %s skipped: %s", name, error)
                return False
            logger.warning(
                "deadlines: %s, lock conflict (attempt %s of %s): %s",
                name,
                attempt,
                MAX_ATTEMPTS,
                error,
            )
        except Exception:
            # A defect in one item's step must not stop the deadlines of all the others;
            # its savepoint is rolled back and the error is logged with its traceback.
            logger.exception("deadlines: %s skipped after an error", name)
            return False
    logger.error("deadlines: %s skipped after %s lock conflicts", name, MAX_ATTEMPTS)
    return False


def _drain(
    queryset,
    act: Callable[[Complaint], object],
    *,
    batch_size: int = 1,
    batch_act: Callable[[list[Complaint]], list[Complaint]] | None = None,
) -> int:
    """Apply `act` to every row of `queryset`, claimed `batch_size` at a time under their
    row locks; `batch_act`, if given, first moves what it can of each batch at once.

    Each row's step runs in its own savepoint: one that fails (refused, or still in a lock
    conflict after retries, or a defect) is logged and skipped for this run; the run goes
    on. A batch step that fails leaves its rows to `act`, one by one.
    """
    done, steps, skipped = 0, Counter(), set()
    while True:
        with transaction.atomic():
            claimed = _claim(queryset, skipped, batch_size)
            if not claimed:
                return done
            for complaint in claimed:
                steps[complaint.pk] += 1
                if steps[complaint.pk] >= MAX_STEPS_PER_COMPLAINT:
                    skipped.add(complaint.pk)
            moved = _act_on_batch(claimed, batch_act) if batch_act else set()
            done += len(moved)
            for complaint in claimed:
                if complaint.pk in moved:
                    continue
                if _act(complaint, act):
                    done += 1
                else:
                    skipped.add(complaint.pk)


def _act_on_batch(claimed, batch_act) -> set[int]:
    try:
        with transaction.atomic():
            return {complaint.pk for complaint in batch_act(claimed)}
    except Exception:
        logger.exception("deadlines: a batch of %s failed; each is taken alone", len(claimed))
        return set()


def _negotiation_step(now: datetime) -> Callable[[Complaint], object]:
    def step(complaint: Complaint):
        complaint.as_of(now)
        if not complaint.merchant_answer:
            return services.escalate_complaint(complaint=complaint, actor=SYSTEM, now=now)
        offer = complaint.open_offer
        if offer is not None and offer.expires_at <= now:
            return services.expire_offer(complaint=complaint, now=now)
        return services.lapse_complaint(complaint=complaint, now=now)

    return step


def _platform_step(now: datetime) -> Callable[[Complaint], object]:
    def step(complaint: Complaint):
        if complaint.status == Complaint.Status.AWAITING_INFO:
            return services.lapse_info_requests(complaint=complaint, now=now)
        if complaint.status == Complaint.Status.AWAITING_MERCHANT_PAYMENT:
            return services.charge_deposit(complaint=complaint, now=now)
        if complaint.status == Complaint.Status.UNDER_APPEAL:
            return services.lapse_appeal_response(complaint=complaint, now=now)
        return services.close_complaint(complaint=complaint, now=now)

    return step


# Charging a deposit is batched apart from these (`charge_deposits`).
PLATFORM_DEADLINES = (
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.UNDER_APPEAL,
    Complaint.Status.PAID,
    Complaint.Status.REJECTED,
)
DECIDING = (
    Complaint.Status.UNDER_REVIEW,
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.AWAITING_APPROVAL,
)


def process_due_complaints(now: datetime) -> int:
    """Move every complaint whose stage deadline passed, flag late decisions, send reminders."""
    negotiating = Complaint.objects.filter(status=Complaint.Status.NEGOTIATING)
    moved = _drain(
        negotiating.filter(due_at__lte=now),
        _negotiation_step(now),
        batch_size=BATCH_SIZE,
        batch_act=lambda claimed: services.escalate_silent_merchants(
            complaints=[c for c in claimed if not c.merchant_answer], now=now
        ),
    )
    moved += _drain(
        Complaint.objects.filter(
            status=Complaint.Status.AWAITING_MERCHANT_PAYMENT, due_at__lte=now
        ),
        _platform_step(now),
        batch_size=BATCH_SIZE,
        batch_act=lambda claimed: services.charge_deposits(complaints=claimed, now=now),
    )
    moved += _drain(
        Complaint.objects.filter(status__in=PLATFORM_DEADLINES, due_at__lte=now),
        _platform_step(now),
    )
    moved += _drain(
        Complaint.objects.filter(
            status__in=DECIDING, decision_due_at__lte=now, decision_overdue=False
        ),
        lambda complaint: services.flag_decision_overdue(complaint=complaint, now=now),
        batch_size=BATCH_SIZE,
    )
    reminder_window = deadline_policy(now).hours("reminder_hours")
    unreminded = Complaint.objects.filter(
        status__in=REMINDED, due_at__gt=now, due_at__lte=now + reminder_window
    ).filter(Q(reminded_for_due_at__isnull=True) | ~Q(reminded_for_due_at=F("due_at")))
    moved += _drain(
        unreminded,
        lambda complaint: services.send_reminder(complaint=complaint, now=now),
        batch_size=BATCH_SIZE,
    )
    return moved


def _each_payout(queryset, act: Callable[[Disbursement], bool]) -> int:
    """Apply `act` to each payout of `queryset`, one transaction each, its row claimed
    first (on PostgreSQL a row another worker holds is skipped, not waited for); returns
    how many it moved. The services check again under the lock, so a run repeated moves
    nothing twice."""
    outcomes = []
    for payout_id in list(queryset.order_by("account_due_at", "pk").values_list("pk", flat=True)):
        with transaction.atomic():
            claim = Disbursement.objects.filter(pk=payout_id).select_related("payee")
            if connection.features.has_select_for_update_skip_locked:
                claim = claim.select_for_update(skip_locked=True, no_key=True, of=("self",))
            payout = claim.first()
            if payout is not None:
                _act(payout, lambda p: outcomes.append(act(p)), name=f"payout {payout.pk}")
    return sum(outcomes)


def process_awaiting_payouts(now: datetime) -> int:
    """Payouts waiting for the consumer's account: past the wait, they go to the Alipay
    account of the login; the others remind the consumer, once a day."""
    moved = _each_payout(
        deposit_selectors.payouts_past_account_wait(now),
        lambda payout: services.fall_back_payout_destination(disbursement=payout, now=now),
    )
    moved += _each_payout(
        deposit_selectors.payouts_to_remind(now),
        lambda payout: services.remind_payout_account(disbursement=payout, now=now),
    )
    return moved


# Stages where a party must act before `due_at`.
REMINDED = (
    Complaint.Status.NEGOTIATING,
    Complaint.Status.AWAITING_INFO,
    Complaint.Status.AWAITING_MERCHANT_PAYMENT,
    Complaint.Status.UNDER_APPEAL,
)


# Each function takes `now`, applies what is due through the services, and returns how
# many things it moved. Lower layers first, so a restricted merchant is current before
# complaints are processed.
DEADLINE_FUNCTIONS: tuple[Callable[[datetime], int], ...] = (
    process_due_top_ups,
    process_due_complaints,
    process_awaiting_payouts,
    send_due_digests,
)


def run_all_deadlines(now: datetime) -> dict[str, int]:
    """Every app's deadlines; one that fails is logged and the others still run."""
    results = {}
    for function in DEADLINE_FUNCTIONS:
        name = f"{function.__module__}.{function.__name__}"
        try:
            results[name] = function(now)
        except Exception:
            logger.exception("deadlines: %s failed; the next run takes it up again", name)
            results[name] = 0
            continue
        logger.info("deadlines: %s moved %s", name, results[name])
    return results
