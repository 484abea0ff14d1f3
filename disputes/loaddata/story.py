"""One complaint's story, told step by step, then placed in time so that it fits at now."""

from collections import defaultdict
from datetime import timedelta

from merchants.models import Order

from .. import compensation
from ..models import Appeal, Complaint, Decision, Evidence
from .appeals import Appeals
from .base import (
    DECIDING,
    DUE_STAGES,
    HOUR,
    REMINDED,
    REVIEWERS,
    SENIORS,
    YEAR,
    DoesNotFit,
    K,
    LoadDataError,
    _hours,
    seeded,
)
from .endings import (
    BIG_KINDS,
    ENDING_NAMES,
    ENDING_WEIGHTS,
    KIND_NAMES,
    KIND_WEIGHTS,
    STORIES,
)
from .filing import Filing
from .negotiation import Negotiation
from .review import Review
from .world import World, _shifted, new_complaint, transition

# How many filing times a story is tried at before another story is drawn instead.
PLACINGS = 8


class Story(Filing, Negotiation, Review, Appeals):
    """One complaint's life, step by step, as the services would have lived it."""

    def __init__(self, world: World, store, index: int, salt: int, t0=None, *, malice=True):
        self.w, self.store, self.index = world, store, index
        self.rng = rng = seeded(world.story_key(index, salt))
        self.ending = rng.choices(ENDING_NAMES, cum_weights=ENDING_WEIGHTS)[0]
        self.big = self.ending == "awaiting_approval"
        kinds = BIG_KINDS if self.big else KIND_NAMES
        self.kind = rng.choice(kinds) if self.big else rng.choices(kinds, KIND_WEIGHTS)[0]
        self.consumer = world.consumer_id(int(rng.random() * world.sizes.consumers) + 1)
        owner, staff = world.store_users(store.j)
        self.merchant_users = (owner, staff)
        self.reviewer = world.reviewers[index % REVIEWERS]  # round robin
        self.approver = world.seniors[index % SENIORS]
        self.resolver = world.seniors[(index + 1) % SENIORS]  # never the approver
        self.malice = malice
        start = rng.random()
        if t0 is None:
            t0 = world.now - world.first_guess(self.ending, start)
        self.evidence = []
        self._begin(t0)
        self.file()
        # What the filing made, so that the story can be told again from another moment;
        # the rest of the story draws from a generator of its own, started again then.
        self.filed = (t0, dict(self.c.__dict__), dict(self.order), list(self.evidence))
        self.story_seed = rng.getrandbits(64)
        self.rng = seeded(self.story_seed)

    def _begin(self, t0) -> None:
        self.t0 = self.t = self.last = t0
        self.events, self.offers, self.requests, self.decisions = [], [], [], []
        self.ledger, self.notes = [], []
        self.appeal = self.strike = None
        self.deadline = self.since = self.max_age = None

    def tell(self) -> "Story":
        STORIES[self.ending](self)
        return self

    def retell(self, t0) -> "Story":
        """The same story (the same draws) filed at `t0`: what the filing made is moved in
        time, the rest is told again (a decision's working days depend on the date)."""
        filed_at, complaint, order, evidence = self.filed
        shift = t0 - filed_at
        self.c = new_complaint(_shifted(complaint, shift))
        self.order = _shifted(order, shift)
        self.evidence = [_shifted(e, shift) for e in evidence]
        self.rng = seeded(self.story_seed)
        self._begin(t0)
        return self.tell()

    # --- time -----------------------------------------------------------------------------

    def wait(self, low_hours: float, high_hours: float) -> None:
        self._move(self.t + _hours(self.rng, low_hours, high_hours))

    def wait_before(self, deadline, low_hours: float, high_hours: float) -> None:
        """A party's next step, before `deadline`: past it the deadline processor would have
        acted first. The hours are those of the default policy; a shorter one shortens them."""
        if deadline is not None:
            room = (deadline - self.t) / HOUR - 0.01
            high_hours = min(high_hours, room)
            low_hours = min(low_hours, high_hours / 2)
        self.wait(low_hours, high_hours)

    def wait_in_stage(self, low_hours: float, high_hours: float) -> None:
        """A party's next step, before the current stage's deadline, if it has one."""
        due = self.c.due_at if self.c.__dict__["status"] in DUE_STAGES else None
        self.wait_before(due, low_hours, high_hours)

    def at(self, deadline) -> None:
        """A system step: the deadline processor acts within the minute after the deadline."""
        self._move(deadline + timedelta(seconds=self.rng.uniform(1, 59)))

    def _move(self, t) -> None:
        self._flag_if_overdue(until=t)
        self.t = t
        self.last = max(self.last, t)

    def keep_open(self, *, deadline=None, since=None, max_age=None) -> None:
        """The stage the story ends in: open until `deadline`, or entered at most `max_age`
        before now."""
        self.deadline, self.since, self.max_age = deadline, since, max_age

    def window(self, now) -> tuple[timedelta, timedelta]:
        """How far the story can move in time and still fit at `now`: filed within the
        year, over by now, and its open stage still open (or entered recently enough)."""
        low = now - YEAR - self.t0
        high = now - self.last
        if self.deadline is not None:
            low = max(low, self.w.quiet_until - self.deadline + timedelta(seconds=1))
        if self.max_age is not None:
            low = max(low, now - self.max_age - self.since)
        if low > high:
            raise DoesNotFit(f"story {self.index} ({self.ending}) cannot fit before now")
        return low, high

    def moved_start(self, now, attempt: int = 0):
        """A filing time at which this story (the same draws, moved in time) fits; each
        attempt lands elsewhere in the window."""
        low, high = self.window(now)
        spot = (self.index * 0.618034 + attempt * 0.381966) % 1
        return self.t0 + low + (high - low) * (0.05 + 0.9 * spot)

    def finish(self, now) -> None:
        """What the deadline processor has done by now: the overdue flag, the reminder."""
        self._check_filing()
        self._flag_if_overdue(until=now)
        c = self.c
        if c.status in REMINDED and c.due_at and c.due_at - self.w.reminder_time <= now:
            c.reminded_for_due_at = c.due_at

    def quiet(self) -> bool:
        """Whether the deadline processor, run in the quiet hour after now, leaves this
        complaint alone: no deadline, decision target or reminder falls due in it."""
        c, until = self.c, self.w.quiet_until
        status, due = c.__dict__["status"], c.due_at
        if status in DUE_STAGES and due is not None and due <= until:
            return False
        if status in DECIDING and not c.decision_overdue and c.decision_due_at <= until:
            return False
        reminder_pending = status in REMINDED and due and c.reminded_for_due_at != due
        return not (reminder_pending and due - self.w.reminder_time <= until)

    # --- the machine ----------------------------------------------------------------------

    def _apply(self, name: str, by, description: str, **arguments) -> None:
        """Run the transition's body, as django-fsm would, and log it as django-fsm-log would."""
        c = self.c
        source = c.__dict__["status"]
        body, target = transition(name, source)
        if body is None:
            raise LoadDataError(f"story {self.index}: no {name} from {source}")
        if name != "flag_overdue":
            self.check_timing(name, system=by is None)
        c._as_of = self.t  # Complaint.as_of: the transition's "now"
        result = body(c, **arguments)
        target = result if target is None else target
        self.events.append((self.t, name, source, target, by, description))
        c.__dict__["status"] = target  # a protected field: set as django-fsm sets it
        if self.t > c.updated_at:
            c.updated_at = self.t

    def check_timing(self, step: str, *, system: bool) -> None:
        """The transitions' conditions on time, which the unwrapped bodies do not check: a
        person acts before the stage's deadline, the deadline processor after it. So no
        complaint ever sat past a deadline without the processor acting on it."""
        c = self.c
        due = c.due_at
        if c.__dict__["status"] not in DUE_STAGES or due is None:
            return
        if system != (due <= self.t):
            raise LoadDataError(
                f"story {self.index} ({self.ending}): {step} at {self.t} with the deadline at {due}"
            )

    def _flag_if_overdue(self, until) -> None:
        c = self.c
        if c.__dict__["status"] not in DECIDING or c.decision_overdue or not c.decision_due_at:
            return
        flagged_at = c.decision_due_at + self.w.sweep_lag(self.index)
        if flagged_at <= until:
            now, self.t = self.t, flagged_at
            self._apply("flag_overdue", None, self.w.text.overdue)
            self.t, self.last = now, max(self.last, flagged_at)

    def note(self, event: str, **params) -> None:
        """What the consumer was told; the last of it is written as a notification."""
        self.notes.append((self.t, event, params))

    def merchant_user(self) -> int:
        return self.rng.choice(self.merchant_users)

    # --- money ----------------------------------------------------------------------------

    def _ledger(self, operation: str, **values) -> dict:
        """A call to deposits.services, posted when the store's ledger is replayed."""
        # No reference back to the story: the rows are freed without the cycle collector.
        call = {
            "op": operation,
            "at": self.t,
            "complaint": self.c,
            "order": (self.index, len(self.ledger)),
            **values,
        }
        self.ledger.append(call)
        return call


def tell(world: World, store, index: int, salt: int, *, malice: bool) -> Story:
    """The story of complaint `index`, placed in time so that its open stage holds at now
    and stays quiet for the hour after."""
    now = world.now
    story = Story(world, store, index, salt, malice=malice).tell()
    low, high = story.window(now)
    world.remember_fit(story, low, high)
    for attempt in range(PLACINGS):
        if low <= timedelta(0) <= high:
            story.finish(now)
            if story.quiet():
                return story
        story.retell(story.moved_start(now, attempt))
        low, high = story.window(now)
    raise DoesNotFit(f"story {index} ({story.ending}) does not fit at now")


def tell_store(world: World, store) -> list[Story]:
    """The store's complaints, none sharing a cap with another, no consumer struck twice."""
    stories, late_shipping = [], defaultdict(list)
    for index in range(store.first_index, store.first_index + store.complaints):
        for salt in range(64):
            try:
                story = tell(world, store, index, salt, malice=salt == 0)
            except DoesNotFit:
                continue  # a rare long story: the complaint gets another one
            if _shares_late_shipping_cap(story, late_shipping):
                continue
            if story.strike and _struck_within_a_year(world, story):
                continue
            break
        else:
            raise LoadDataError(f"complaint {index}: no story fits")
        if story.kind == K.LATE_SHIPPING:
            late_shipping[story.consumer].append(story.order["paid_at"])
        if story.strike:
            world.strikes[story.consumer].append(story.strike["created_at"])
        _assign_ids(world, story)
        stories.append(story)
    return stories


def _shares_late_shipping_cap(story: Story, late_shipping) -> bool:
    if story.kind != K.LATE_SHIPPING:
        return False
    paid_at = story.order["paid_at"]
    window = compensation.LATE_SHIPPING_SHARED_WINDOW
    return any(abs(paid_at - other) < window for other in late_shipping[story.consumer])


def _struck_within_a_year(world: World, story: Story) -> bool:
    at = story.strike["created_at"]
    return any(abs(at - other) <= YEAR for other in world.strikes[story.consumer])


def _assign_ids(world: World, story: Story) -> None:
    c = story.c
    story.order["id"] = c.order_id = world.take_ids(Order)
    story.order["order_number"] = world.order_number()
    c.id = world.take_ids(Complaint)
    c.number = world.complaint_number(c.created_at)
    for evidence in story.evidence:
        evidence["id"] = world.take_ids(Evidence)
    for decision in story.decisions:
        decision["id"] = world.take_ids(Decision)
    if story.appeal:
        story.appeal["id"] = world.take_ids(Appeal)
