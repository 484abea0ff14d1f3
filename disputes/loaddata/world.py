"""The world a data set is made in: its sizes, names, rules, clock and id counters."""

import inspect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.db.models.base import ModelState
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import State

from accounts.models import User
from deposits.models import DepositAccount, LedgerEntry
from merchants.models import Merchant, Order

from .. import compensation
from ..models import (
    Appeal,
    CompensationRule,
    Complaint,
    DeadlinePolicy,
    Decision,
    Evidence,
    Holiday,
)
from ..working_days import add_working_days
from .base import DAY, QUIET, REVIEWERS, SENIORS, YEAR, ZERO, LoadDataError
from .endings import ENDINGS

# --- sizes and names ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    complaints: int
    consumers: int
    stores: int
    busy_store_complaints: int

    @classmethod
    def scaled(cls, complaints, consumers=None, stores=None, busy_store_complaints=None):
        """At a million: 200,000 consumers, 2,000 stores, one store with 2% of the complaints."""
        if complaints < 1:
            raise LoadDataError("Generate at least one complaint.")
        for value, what in ((consumers, "consumer"), (stores, "store")):
            if value is not None and value < 1:
                raise LoadDataError(f"Generate at least one {what}.")
        stores = stores or max(complaints // 500, 10)
        busy = busy_store_complaints
        if busy is not None and not 1 <= busy <= complaints:
            raise LoadDataError(
                "The busy store has at least one complaint, and no more than the complaints."
            )
        if busy is None:
            busy = max(round(complaints * 0.02), 1)
        if stores == 1:
            busy = complaints
        return cls(
            complaints=complaints,
            consumers=consumers or max(complaints // 5, 1),
            stores=stores,
            busy_store_complaints=busy,
        )


@dataclass(frozen=True)
class Names:
    """The logins, store codes and numbers of one seed's data set; seed 1 has the plain ones."""

    seed: int

    @property
    def prefix(self) -> str:
        return "load" if self.seed == 1 else f"load-s{self.seed}"

    def consumer(self, i: int) -> str:
        return f"{self.prefix}-c{i}@load.test"

    def owner(self, j: int) -> str:
        return f"{self.prefix}-owner-{j}@load.test"

    def staff(self, j: int) -> str:
        return f"{self.prefix}-staff-{j}@load.test"

    def store(self, j: int) -> str:
        return f"{self.prefix}-store-{j}"

    def reviewer(self, k: int) -> str:
        return f"{self.prefix}-reviewer-{k}@load.test"

    def senior(self, k: int) -> str:
        return f"{self.prefix}-senior-{k}@load.test"

    def finance(self) -> str:
        return f"{self.prefix}-finance@load.test"

    def order(self, n: int) -> str:
        return f"{self.prefix.upper()}-{n:08d}"

    @property
    def number_slot(self) -> int:
        """The first of a complaint number's six digits: data sets of other seeds never meet."""
        return self.seed % 10


# --- the world a data set is made in -------------------------------------------------------

# Tables whose ids the generator assigns (other rows point at them); the rest number
# themselves.
EXPLICIT_IDS = (
    User,
    Merchant,
    DepositAccount,
    Order,
    Complaint,
    Evidence,
    Decision,
    LedgerEntry,
    Appeal,
)


class World:
    """Everything stories share: the moment, the rules, the people's ids, the counters."""

    def __init__(self, *, seed: int, sizes: Sizes, now):
        self.seed, self.sizes, self.now = seed, sizes, now
        self.quiet_until = now + QUIET
        self.names = Names(seed)
        self.rules = _single_in_force(CompensationRule, now).as_rules()
        self._deadlines(_single_in_force(DeadlinePolicy, now))
        self.holidays = set(Holiday.objects.values_list("date", flat=True))
        self.working_days_ahead = {}
        self.zone = timezone.get_current_timezone()
        self.complaint_type = ContentType.objects.get_for_model(Complaint).pk
        self.text = _service_texts()
        self.next_id = {
            m: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for m in EXPLICIT_IDS
        }
        self.numbers_taken = _numbers_taken(self.names.number_slot)
        self.next_number: dict[str, int] = defaultdict(int)
        self.next_order = _next_order_number(self.names)
        self.strikes: dict[int, list] = defaultdict(list)
        self.fitted: dict[str, list] = defaultdict(list)
        self.suggestions: dict[tuple, list] = {}
        self.urls = SimpleNamespace(
            consumer=reverse("disputes:complaint", kwargs={"number": "NUMBER"}),
            merchant=reverse("disputes:seller_complaint", kwargs={"number": "NUMBER"}),
        )
        self._people()
        self.template = _complaint_template()

    def _deadlines(self, policy: DeadlinePolicy) -> None:
        self.answer_time = policy.hours("merchant_response_hours")
        self.offer_time = policy.hours("offer_acceptance_hours")
        self.lapse_time = policy.days("negotiation_lapse_days")
        self.reopen_time = policy.days("reopen_days")
        self.reminder_time = policy.hours("reminder_hours")
        self.info_time = policy.hours("info_request_hours")
        self.pay_first_time = policy.hours("pay_first_hours")
        self.appeal_time = policy.days("appeal_window_days")
        self.response_time = policy.hours("appeal_response_hours")
        self.decision_days = policy.decision_working_days
        self.approval_threshold = policy.approval_threshold

    def _people(self) -> None:
        """Ids for every login, in the order they are written."""
        sizes = self.sizes
        first = self.take_ids(User, sizes.consumers + REVIEWERS + SENIORS + 1 + 2 * sizes.stores)
        self.first_consumer = first
        self.reviewers = list(range(first + sizes.consumers, first + sizes.consumers + REVIEWERS))
        self.seniors = list(range(self.reviewers[-1] + 1, self.reviewers[-1] + 1 + SENIORS))
        self.finance = self.seniors[-1] + 1
        self.first_merchant_user = self.finance + 1
        # `take` assigns the reviewer itself: a bare instance stands for them.
        self.reviewer_stubs = {pk: User(pk=pk) for pk in self.reviewers}

    def take_ids(self, model, count: int = 1) -> int:
        first = self.next_id[model]
        self.next_id[model] += count
        return first

    def consumer_id(self, i: int) -> int:
        return self.first_consumer + i - 1

    def consumer_username(self, pk: int) -> str:
        return self.names.consumer(pk - self.first_consumer + 1)

    def store_users(self, j: int) -> tuple[int, int]:
        owner = self.first_merchant_user + 2 * (j - 1)
        return owner, owner + 1

    def decision_due(self, escalated_at):
        """selectors.decision_due: the same local time, N working days on (computed once a
        day: the working days ahead depend only on the date)."""
        local = escalated_at.astimezone(self.zone)
        days = self.working_days_ahead.get(local.date())
        if days is None:
            days = (add_working_days(local, self.decision_days, self.holidays) - local).days
            self.working_days_ahead[local.date()] = days
        return local + timedelta(days=days)

    def sweep_lag(self, index: int) -> timedelta:
        """The deadline processor runs every minute: a flag lands just after its deadline."""
        return timedelta(seconds=5 + index % 50)

    def suggestion(self, kind, goods, postage, refunded, *, return_shipping):
        """compensation.suggest_award, remembered: its amounts depend on the order's money,
        not its dates, and prices repeat (see `price`)."""
        key = (kind, goods, postage, refunded, return_shipping)
        lines = self.suggestions.get(key)
        if lines is None:
            facts = compensation.OrderFacts(
                goods_amount=goods, postage=postage, refunded_amount=refunded, paid_at=self.now
            )
            lines = compensation.suggest_award(
                kind, facts, self.rules, return_shipping=return_shipping
            )
            self.suggestions[key] = lines
        return lines

    def first_guess(self, ending: str, start: float) -> timedelta:
        """How long before now a story first starts: for one still open, where recent
        stories of its kind fitted; the others anywhere in the year."""
        fitted = self.fitted.get(ending)
        if not fitted:
            open_days = ENDINGS[ending][1]
            return (
                timedelta(days=open_days * start) if open_days else DAY + (YEAR - 2 * DAY) * start
            )
        position = start * len(fitted)
        earliest, latest = fitted[int(position)]
        return earliest + (latest - earliest) * (position - int(position))

    def remember_fit(self, story, low: timedelta, high: timedelta) -> None:
        """Where (before now) this story's filing would have fitted, for the next guess."""
        if ENDINGS[story.ending][1] is None:
            return
        fitted = self.fitted[story.ending]
        back = self.now - story.t0
        fitted.append((back - high, back - low))
        if len(fitted) > 64:
            del fitted[0]

    def story_key(self, index: int, salt: int) -> int:
        return (self.seed * 1_000_000_007 + index) * 64 + salt

    def complaint_number(self, filed_at) -> str:
        """TS + the filing date + six digits: the seed's slot, then the day's count."""
        date = filed_at.astimezone(self.zone).date()
        day = f"{date.year:04d}{date.month:02d}{date.day:02d}"
        while True:
            self.next_number[day] += 1
            count = self.next_number[day]
            if count >= 100_000:
                raise LoadDataError(f"More than 99,999 complaints filed on {day}.")
            number = f"TS{day}{self.names.number_slot}{count:05d}"
            if number not in self.numbers_taken:
                return number

    def order_number(self) -> str:
        self.next_order += 1
        return self.names.order(self.next_order)


def _single_in_force(model, now):
    """The rule (or policy) in force; the data set spans two years under this one alone."""
    if model.objects.filter(effective_from__gt=now - 2 * YEAR, effective_from__lte=now).exists():
        raise LoadDataError(
            f"A {model._meta.verbose_name} took effect in the last two years; the generator "
            "tells every complaint under the one in force now."
        )
    return model.in_force(now) or model()


def _numbers_taken(slot: int) -> set[str]:
    """Complaint numbers of this seed's slot that the app already gave out (at random)."""
    numbers = Complaint.objects.filter(number__regex=rf"^TS[0-9]{{8}}{slot}")
    return set(numbers.values_list("number", flat=True))


def _next_order_number(names: Names) -> int:
    last = (
        Order.objects.filter(order_number__startswith=f"{names.prefix.upper()}-")
        .order_by("-order_number")
        .values_list("order_number", flat=True)
        .first()
    )
    return int(last.rsplit("-", 1)[1]) if last else 0


def _complaint_template() -> dict:
    """A new complaint's attributes: every story starts from a copy (instances are slow)."""
    template = Complaint(kind="", description="", claimed_amount=ZERO).__dict__.copy()
    del template["_state"]
    return template


def _shifted(values: dict, shift: timedelta) -> dict:
    return {k: v + shift if isinstance(v, datetime) else v for k, v in values.items()}


def new_complaint(template: dict, **values) -> Complaint:
    complaint = Complaint.__new__(Complaint)
    complaint.__dict__ = {**template, **values, "_state": ModelState()}
    return complaint


def _service_texts() -> SimpleNamespace:
    """What the services write on the timeline and in the ledger, in the platform's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return SimpleNamespace(
            accepted_claim=str(_("Accepted the claim as filed")),
            offered=str(_("Offered %(amount)s")),
            accepted_offer=str(_("Accepted the offer of %(amount)s")),
            declined=str(_("Declined the offer")),
            expired=str(_("The offer expired unanswered")),
            withdrawn=str(_("Withdrawn by the consumer")),
            silent=str(_("The merchant did not answer in time")),
            stepped_in=str(_("The consumer asked the platform to step in")),
            reopened=str(_("The consumer reports the settlement was not paid")),
            lapsed=str(_("Neither escalated nor settled within 7 days of the merchant's answer")),
            took=str(_("A reviewer took the case")),
            info_in=str(_("All requested information is in")),
            info_lapsed=str(_("An information request lapsed")),
            overdue=str(_("No decision within the working days the platform allows itself")),
            approved=str(_("Award of %(amount)s approved")),
            merchant_paid=str(_("The merchant paid the consumer directly")),
            charged=str(_("The merchant did not pay in time; the deposit paid")),
            closed=str(_("Nobody appealed within the appeal window")),
            proof=str(_("Proof of payment")),
            raised=str(_("Raised on appeal")),
            paid_to_store=str(_("%(amount)s paid to the store directly.")),
            reason_codes={code: str(label) for code, label in Decision.ReasonCode.choices},
            outcomes={code: str(label) for code, label in Appeal.Outcome.choices},
        )


REIMBURSED = _("Lowered on appeal: the platform reimburses the merchant")


@cache
def transition(name: str, source: str):
    """The transition's own body (unwrapped from django-fsm and django-fsm-log) and its
    target from `source` (None when the body returns it); no body when not allowed."""
    found = getattr(Complaint, name)._django_fsm.get_transition(source)
    if found is None:
        return None, None
    target = None if isinstance(found.target, State) else found.target
    return inspect.unwrap(getattr(Complaint, name)), target
