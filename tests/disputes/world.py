"""A small marketplace, everything its people can do to it, and the money invariants.

The hypothesis state machine (one thread, SQLite and PostgreSQL) and the concurrent soak
(four threads, PostgreSQL) drive the same actions. Each action takes its random choices
from a `Chooser`, so hypothesis can draw (and shrink) them and the soak can replay them
from a seed. An action names its actor, often the wrong one, and its amounts, often
hostile ones; a refusal (`ValidationError`) is an expected outcome, anything else a bug.
"""

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import roles
from deposits import services as ledger
from deposits.audit import audit_deposits
from deposits.models import LedgerEntry
from disputes import caps, compensation, selectors, services
from disputes.deadlines import run_all_deadlines
from disputes.models import AwardLine, CompensationRule, Complaint, Decision, Offer
from disputes.permissions import SYSTEM
from merchants.models import Order
from tests.factories import (
    PNG_BYTES,
    ConsumerFactory,
    DepositAccountFactory,
    MerchantMemberFactory,
    OrderFactory,
    PlatformUserFactory,
)

D = Decimal
ZERO = D("0.00")
CENT = D("0.01")
S = Complaint.Status
KINDS = list(Complaint.Kind.values)
# Where the rules meet: the kinds that share an order's refund, and the one whose orders
# share a maximum. A world may file only one family, so its complaints meet more often.
FAMILIES = {
    "every kind": tuple(KINDS),
    "refunds": tuple(sorted(compensation.REFUNDING_KINDS)),
    "late shipping": (Complaint.Kind.LATE_SHIPPING,),
}

# What the platform has committed for a complaint (paid, settled or decided): the money
# invariants hold for these amounts, never for mere reservations.
COMMITTED = {
    S.SETTLED,
    S.AWAITING_APPROVAL,
    S.AWAITING_MERCHANT_PAYMENT,
    S.PAID,
    S.REJECTED,
    S.UNDER_APPEAL,
    S.CLOSED,
}


# goods, postage, hours after the first order was paid, shipped late. The two dear late
# orders share one late-shipping maximum (their 30% comes to more); the cheap late one
# shares it with the second but not the first; the on-time one has postage to refund.
ORDER_SHAPES = [
    ("2500.00", "0.00", 0, True),
    ("1000.00", "0.00", 5, True),
    ("199.00", "10.00", 20, False),
    ("49.90", "0.00", 26, True),
]


# What an action returns when it found nothing to act on (no complaint in its states).
IDLE = "idle"


class Chooser:
    """The random choices of one driver: a seeded `random.Random` by default."""

    def __init__(self, seed: int | None = None, draw: Callable[[Sequence], Any] | None = None):
        self._random = random.Random(seed)
        self._draw = draw

    def pick(self, options: Sequence):
        options = list(options)
        return self._draw(options) if self._draw else self._random.choice(options)


@dataclass
class Store:
    merchant: Any
    owner: Any
    staff: Any


@dataclass
class World:
    stores: list[Store]
    consumers: list[Any]
    orders: list[Order]
    reviewers: list[Any]
    seniors: list[Any]
    kinds: Sequence[str] = tuple(KINDS)

    @property
    def everyone(self) -> list:
        merchants = [user for store in self.stores for user in (store.owner, store.staff)]
        return [*self.consumers, *merchants, *self.reviewers, *self.seniors]


def build_world(
    *,
    stores: int = 1,
    consumers: int = 1,
    orders_each: int = 4,
    deposit: str = "50000.00",
    kinds: Sequence[str] = tuple(KINDS),
) -> World:
    """Stores with a deposit, consumers with orders in every shape the rules care about:
    cheap and dear, shipped on time and late, paid within 24 hours of each other and not,
    delivered two days ago and completed yesterday, so every kind can be filed."""
    built_stores = []
    for _ in range(stores):
        account = DepositAccountFactory(paid_in=D(deposit))
        owner = MerchantMemberFactory(merchant=account.merchant, role="owner").user
        # A staff member who may settle any claim of this world: the money paths, not the
        # grants, are what it explores (tests/disputes/test_staff_grants.py tries those).
        staff = MerchantMemberFactory(
            merchant=account.merchant, role="staff", offer_limit=D("1000000.00")
        ).user
        built_stores.append(Store(account.merchant, owner, staff))
    buyers = [ConsumerFactory() for _ in range(consumers)]
    orders = _new_orders(built_stores, buyers, orders_each)
    reviewers = [PlatformUserFactory(roles=[roles.REVIEWERS]) for _ in range(2)]
    seniors = [
        PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS]) for _ in range(2)
    ]
    return World(built_stores, buyers, orders, reviewers, seniors, kinds)


def _new_orders(stores: list[Store], buyers: list, count: int) -> list[Order]:
    now = timezone.now()
    orders = []
    for store in stores:
        for buyer in buyers:
            start = now - timedelta(days=6)
            for goods, postage, hours_after_first, late in ORDER_SHAPES[:count]:
                paid = start + timedelta(hours=hours_after_first)
                orders.append(
                    OrderFactory(
                        merchant=store.merchant,
                        consumer=buyer,
                        goods_amount=D(goods),
                        postage=D(postage),
                        paid_at=paid,
                        shipped_at=paid + timedelta(hours=60 if late else 12),
                        delivered_at=now - timedelta(days=2),
                        completed_at=now - timedelta(days=1),
                    )
                )
    return orders


def add_orders(world: World) -> None:
    """A new consumer's orders with every store, as the marketplace's export brings them
    while time passes (the others' windows close, and strikes stop some from filing)."""
    buyer = ConsumerFactory()
    world.consumers.append(buyer)
    world.orders.extend(_new_orders(world.stores, [buyer], len(ORDER_SHAPES)))


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(self.format(record))


def run_deadlines_strictly(now) -> None:
    """Run the deadlines; a step they skipped after an error (which production only logs,
    so the other deadlines go on) fails the test."""
    errors = _Errors()
    deadline_logger = logging.getLogger("disputes.deadlines")
    deadline_logger.addHandler(errors)
    try:
        run_all_deadlines(now)
    finally:
        deadline_logger.removeHandler(errors)
    if errors.messages:
        raise AssertionError("a deadline step failed:\n" + "\n".join(errors.messages))


def png(kind: str = "v") -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{kind}.png", PNG_BYTES)


def _hostile(choose: Chooser, amount: D) -> D:
    """Mostly the amount itself; sometimes less, nothing, a fen too much or far too much."""
    return choose.pick(
        [amount, amount, amount, (amount / 2).quantize(CENT), ZERO, amount + CENT, D("99999.00")]
    )


class Actions:
    """Every action of every role, with random actors, targets and amounts."""

    def __init__(self, world: World, choose: Chooser):
        self.world = world
        self.choose = choose

    # --- targets --------------------------------------------------------------------------

    def _complaint(self, *statuses) -> Complaint | None:
        complaints = Complaint.objects.filter(order__in=self.world.orders)
        if statuses:
            complaints = complaints.filter(status__in=statuses)
        pks = list(complaints.order_by("pk").values_list("pk", flat=True))
        if not pks:
            return None
        return Complaint.objects.select_related("order", "merchant", "consumer").get(
            pk=self.choose.pick(pks)
        )

    def _anyone(self):
        return self.choose.pick([*self.world.everyone, SYSTEM])

    def _party(self, complaint):
        """Mostly the right party, sometimes anybody."""
        store = next(s for s in self.world.stores if s.merchant.pk == complaint.merchant_id)
        return self.choose.pick(
            [complaint.consumer, store.owner, complaint.consumer, store.staff, self._anyone()]
        )

    def _merchant(self, complaint):
        store = next(s for s in self.world.stores if s.merchant.pk == complaint.merchant_id)
        return self.choose.pick([store.owner, store.staff, store.owner, self._anyone()])

    def _reviewer(self, complaint):
        assigned = complaint.assigned_reviewer
        others = [*self.world.reviewers, *self.world.seniors]
        return self.choose.pick([assigned] * 4 + others if assigned else others)

    def _taken(self) -> Complaint | None:
        """A complaint under review, taken by a reviewer if nobody had it yet."""
        complaint = self._complaint(S.UNDER_REVIEW)
        if complaint is not None and complaint.assigned_reviewer is None:
            complaint = services.take_case(
                complaint=complaint, actor=self.choose.pick(self.world.reviewers)
            )
        return complaint

    def _lines(self, complaint) -> list[services.LineInput]:
        """The suggestion, each line at a hostile amount; sometimes a line twice or missing."""
        suggestion = selectors.suggestion_for_complaint(complaint)
        lines = [
            services.LineInput(rule=line.rule, amount=_hostile(self.choose, line.amount))
            for line in suggestion
            if self.choose.pick([True, True, True, True, False])
        ]
        mutation = self.choose.pick(["none", "none", "none", "none", "twice", "foreign"])
        if mutation == "twice" and lines:
            lines.append(self.choose.pick(lines))
        elif mutation == "foreign":
            lines.append(services.LineInput(rule="counterfeit.multiple", amount=D("100.00")))
        return lines

    # --- the consumer ---------------------------------------------------------------------

    def file(self):
        # Mostly a kind not filed yet on an order, and often on an order that has other
        # complaints already: the caps are shared there.
        filed = defaultdict(set)
        for order_id, kind in Complaint.objects.filter(order__in=self.world.orders).values_list(
            "order_id", "kind"
        ):
            filed[order_id].add(kind)
        open_orders = [o for o in self.world.orders if set(self.world.kinds) - filed[o.pk]]
        busy = [o for o in open_orders if filed[o.pk]]
        order = self.choose.pick(open_orders + busy * 2 or self.world.orders)
        unfiled = [k for k in self.world.kinds if k not in filed[order.pk]]
        kind = self.choose.pick(unfiled * 3 + list(self.world.kinds))
        options = {
            o.kind: o
            for o in selectors.filing_options(
                order=order, consumer=order.consumer, now=timezone.now()
            )
        }
        maximum = options[kind].maximum or D("100.00")
        return_shipping = ZERO
        if kind == Complaint.Kind.DESCRIPTION_MISMATCH:
            return_shipping = self.choose.pick([ZERO, D("20.00"), D("250.00")])
            maximum += return_shipping
        services.file_complaint(
            order=order,
            consumer=self.choose.pick([order.consumer, order.consumer, self._anyone()]),
            kind=kind,
            description="随机投诉。",
            claimed_amount=_hostile(self.choose, maximum) or D("1.00"),
            return_shipping=return_shipping,
            return_requested_at=(
                order.delivered_at + timedelta(hours=1)
                if kind == Complaint.Kind.SEVEN_DAY_RETURN
                else None
            ),
        )

    def negotiate(self):
        complaint = self._complaint(S.NEGOTIATING, S.SETTLED)
        if complaint is None:
            return IDLE
        action = self.choose.pick(
            ["accept_offer", "decline_offer", "withdraw", "escalate", "reopen"]
        )
        service = {
            "accept_offer": services.accept_offer,
            "decline_offer": partial(services.decline_offer, reason="还不够"),
            "withdraw": services.withdraw_complaint,
            "escalate": services.escalate_complaint,
            "reopen": services.reopen_complaint,
        }[action]
        service(complaint=complaint, actor=self._party(complaint))

    def escalate(self):
        """The merchant refuses (unless it already answered) and the consumer escalates."""
        complaint = self._complaint(S.NEGOTIATING)
        if complaint is None:
            return IDLE
        if not complaint.merchant_answer:
            services.refuse_claim(
                complaint=complaint, actor=self._merchant(complaint), reason="不同意。"
            )
        services.escalate_complaint(complaint=complaint, actor=self._party(complaint))

    def add_receipt(self):
        complaint = self._complaint()
        if complaint is None:
            return IDLE
        services.add_evidence_files(
            complaint=complaint,
            uploader=self._party(complaint),
            kind=self.choose.pick(["logistics_record", "payment_voucher", "photo"]),
            files=[png()],
        )

    # --- the merchant ---------------------------------------------------------------------

    def answer(self):
        complaint = self._complaint(S.NEGOTIATING)
        if complaint is None:
            return IDLE
        actor = self._merchant(complaint)
        action = self.choose.pick(["accept", "refuse", "offer", "offer"])
        if action == "accept":
            services.accept_claim(complaint=complaint, actor=actor)
        elif action == "refuse":
            services.refuse_claim(complaint=complaint, actor=actor, reason="不同意。")
        else:
            base = complaint.order.goods_amount
            services.make_offer(
                complaint=complaint,
                actor=actor,
                refund=_hostile(self.choose, base),
                compensation_amount=self.choose.pick([ZERO, D("10.00"), D("300.00")]),
            )

    def pay_first(self):
        complaint = self._complaint(S.AWAITING_MERCHANT_PAYMENT)
        if complaint is None:
            return IDLE
        services.confirm_merchant_payment(
            complaint=complaint, actor=self._merchant(complaint), proof_files=[png()]
        )

    def pay_in(self):
        store = self.choose.pick(self.world.stores)
        ledger.record_pay_in(
            account=ledger.get_or_open_account(merchant=store.merchant),
            amount=self.choose.pick([D("100.00"), D("5000.00")]),
            reference="bank",
            idempotency_key=f"random-pay-in-{uuid.uuid4().hex}",
        )

    # --- the platform ---------------------------------------------------------------------

    def take(self):
        complaint = self._complaint(S.UNDER_REVIEW, S.AWAITING_INFO)
        if complaint is None:
            return IDLE
        services.take_case(complaint=complaint, actor=self._reviewer(complaint))

    def ask(self):
        complaint = self._complaint(S.UNDER_REVIEW, S.AWAITING_INFO)
        if complaint is None:
            return IDLE
        if self.choose.pick([True, False]):
            services.request_info(
                complaint=complaint,
                actor=self._reviewer(complaint),
                party=self.choose.pick(["consumer", "merchant"]),
                question="请补充材料。",
            )
        else:
            services.submit_info(complaint=complaint, actor=self._party(complaint), answer="好的。")

    def decide(self):
        complaint = self._taken()
        if complaint is None:
            return IDLE
        actor = self._reviewer(complaint)
        if self.choose.pick(["uphold", "uphold", "uphold", "reject"]) == "reject":
            malicious = self.choose.pick([False, False, False, False, True])
            services.reject_complaint(
                complaint=complaint,
                actor=actor,
                reason_code="malicious" if malicious else "insufficient_evidence",
                reasoning="证据不足。",
                malicious=malicious,
            )
            return
        services.decide_complaint(
            complaint=complaint,
            actor=actor,
            lines=self._lines(complaint),
            reason_code="rule_broken",
            reasoning="证据充分。",
            route=self.choose.pick(list(Decision.Route.values)),
            reduction_reason=self.choose.pick(["部分证实。", "部分证实。", "部分证实。", ""]),
        )

    def _beyond(self, complaint) -> list[services.LineInput]:
        """The suggestion with one thing the rules forbid: a rule twice, a line a fen above
        what its rule allows now (and whatever a receipt could add), or a rule of another
        kind."""
        suggestion = selectors.suggestion_for_complaint(complaint)
        lines = [services.LineInput(rule=line.rule, amount=line.amount) for line in suggestion]
        breach = self.choose.pick(["twice", "above", "foreign"])
        if breach == "twice":
            lines.append(self.choose.pick(lines))
        elif breach == "above":
            # Another thread may add a receipt between this suggestion and the decision,
            # which lets the return shipping's line rise to what the complaint declares for
            # it: above that too, or the soak would see a decision within the rules accepted.
            index = self.choose.pick(range(len(lines)))
            lines[index] = services.LineInput(
                rule=lines[index].rule,
                amount=lines[index].amount + complaint.return_shipping + CENT,
            )
        else:
            foreign = "late_shipping.rate" if complaint.kind != "late_shipping" else "x.refund"
            lines.append(services.LineInput(rule=foreign, amount=D("1.00")))
        return lines

    def decide_beyond(self):
        """A decision beyond the rules is always refused (the refusal propagates)."""
        complaint = self._taken()
        if complaint is None:
            return IDLE
        services.decide_complaint(
            complaint=complaint,
            actor=complaint.assigned_reviewer,
            lines=self._beyond(complaint),
            reason_code="rule_broken",
            reasoning="证据充分。",
            route=self.choose.pick(list(Decision.Route.values)),
            reduction_reason="部分证实。",
        )
        raise AssertionError(f"{complaint.number}: a decision beyond the rules was accepted")

    def resolve_beyond(self):
        """An appeal raised beyond the rules is always refused (the refusal propagates)."""
        complaint = self._complaint(S.UNDER_APPEAL)
        if complaint is None:
            return IDLE
        services.resolve_appeal(
            complaint=complaint,
            actor=self.choose.pick(self.world.seniors),
            outcome="revised_up",
            resolution="复核结论。",
            lines=self._beyond(complaint),
        )
        raise AssertionError(f"{complaint.number}: an appeal beyond the rules was accepted")

    def approve(self):
        complaint = self._complaint(S.AWAITING_APPROVAL)
        if complaint is None:
            return IDLE
        senior = self.choose.pick(self.world.seniors)
        if self.choose.pick([True, True, False]):
            services.approve_decision(complaint=complaint, actor=senior)
        else:
            services.send_back_decision(complaint=complaint, actor=senior, reason="再看看。")

    def appeal(self):
        complaint = self._complaint(S.PAID, S.REJECTED, S.UNDER_APPEAL)
        if complaint is None:
            return IDLE
        if complaint.status == S.UNDER_APPEAL:
            services.respond_to_appeal(
                complaint=complaint, actor=self._party(complaint), response="不同意。"
            )
        else:
            services.appeal_complaint(
                complaint=complaint, actor=self._party(complaint), reason="有新证据。"
            )

    def resolve(self):
        complaint = self._complaint(S.UNDER_APPEAL)
        if complaint is None:
            return IDLE
        outcome = self.choose.pick(["upheld", "revised_up", "revised_up", "revised_down"])
        services.resolve_appeal(
            complaint=complaint,
            actor=self.choose.pick(self.world.seniors),
            outcome=outcome,
            resolution="复核结论。",
            lines=None if outcome == "upheld" else self._lines(complaint),
        )

    def deadlines(self):
        run_deadlines_strictly(timezone.now())

    # Each name once per turn it should get: the platform's half needs complaints to reach it.
    ALL = (
        *["file"] * 3,
        *["answer", "negotiate", "escalate"] * 2,
        "add_receipt",
        "pay_first",
        "pay_in",
        "take",
        "ask",
        *["decide"] * 3,
        *["decide_beyond", "appeal", "resolve", "resolve_beyond"] * 2,
        "approve",
        "deadlines",
    )

    def random(self) -> tuple[str, object]:
        """One random action: its name, and IDLE when it found nothing to act on."""
        name = self.choose.pick(self.ALL)
        return name, getattr(self, name)()


# --- the invariants -------------------------------------------------------------------------


def _rule_ceiling(complaint, rules) -> dict[str, D]:
    """Each rule's amount for the complaint alone: no cap shared with other complaints."""
    return {
        line.rule: line.amount
        for line in compensation.suggest_award(
            complaint.kind,
            compensation.facts_from_order(complaint.order),
            rules,
            return_shipping=complaint.return_shipping,
        )
    }


def award_problems() -> list[str]:
    """Every way the awards break the rules as a whole; empty when they hold."""
    problems = []
    policies = list(CompensationRule.objects.order_by("-effective_from"))

    def rules_at(moment):
        policy = next((p for p in policies if p.effective_from <= moment), CompensationRule())
        return policy.as_rules()

    complaints = list(caps._with_counts(Complaint.objects.select_related("order")))
    committed = {
        c.pk: caps.counted(c) if c.status in COMMITTED else caps.NOTHING for c in complaints
    }
    # Reservations hold the caps too, but for complaints that claimed again after their
    # reservation fell (reopened, or an award sent back): their next award is checked anew.
    reclaimed = set(
        StateLog.objects.filter(transition__in=["reopen", "send_back"]).values_list(
            "object_id", flat=True
        )
    )
    reserved = {c.pk: caps.counted(c) for c in complaints}
    problems.extend(_cap_problems(complaints, committed, "committed", rules_at))
    problems.extend(_cap_problems(complaints, reserved, "reserved", rules_at, skip=reclaimed))
    for complaint in complaints:
        problems.extend(_rule_problems(complaint, rules_at(complaint.order.paid_at)))
    audit, _summary = audit_deposits()
    problems.extend(f"ledger: {problem}" for problem in audit)
    return problems


def _cap_problems(complaints, counts, label, rules_at, skip=frozenset()) -> list[str]:
    """The shared caps: per order the refunds, per late-shipping group the maximum; a group
    with a complaint in `skip` is not checked."""
    problems = []
    by_order = defaultdict(list)
    for complaint in complaints:
        by_order[complaint.order_id].append(complaint)
    for group in by_order.values():
        if any(c.pk in skip for c in group):
            continue
        order = group[0].order
        refunds = sum((counts[c.pk].refund for c in group), ZERO)
        if refunds > order.goods_amount - order.refunded_amount:
            problems.append(f"order {order.order_number}: {label} refunds {refunds} > paid")
    late = [c for c in complaints if c.kind == Complaint.Kind.LATE_SHIPPING]
    window = compensation.LATE_SHIPPING_SHARED_WINDOW
    for first in late:
        # Orders paid within 24 hours of each other: every one from `first` on, for 24 hours.
        group = [
            c
            for c in late
            if (c.consumer_id, c.merchant_id) == (first.consumer_id, first.merchant_id)
            and first.order.paid_at <= c.order.paid_at < first.order.paid_at + window
        ]
        if any(c.pk in skip for c in group):
            continue
        total = sum((counts[c.pk].total for c in group), ZERO)
        maximum = rules_at(first.order.paid_at).late_ship_maximum
        if total > maximum:
            problems.append(f"late shipping from {first.number}: {label} {total} > {maximum}")
    return problems


def _rule_problems(complaint, rules) -> list[str]:
    ceiling = _rule_ceiling(complaint, rules)
    paid = defaultdict(lambda: ZERO)
    problems = []
    for decision in complaint.decisions.all():
        lines = list(decision.lines.all())
        if len({line.rule for line in lines}) != len(lines):
            problems.append(f"{complaint.number}: a rule repeated in a decision")
        for line in lines:
            if line.amount > ceiling.get(line.rule, ZERO):
                problems.append(f"{complaint.number}: {line.rule} {line.amount} above its rule")
            if decision.status == Decision.Status.FINAL:
                paid[line.rule] += line.paid_amount or ZERO
    appeal = getattr(complaint, "appeal_record", None)
    for line in appeal.lines.all() if appeal else ():
        if line.paid_to_consumer:
            paid[line.rule] += line.paid_amount or ZERO
    for rule, amount in paid.items():
        if amount > ceiling.get(rule, ZERO):
            problems.append(f"{complaint.number}: {rule} paid {amount} above its rule")
    return problems


def changes() -> tuple:
    """Moves on whenever a complaint moves, money moves or an award or offer is written."""
    return tuple(
        model.objects.aggregate(last=Max("pk"))["last"]
        for model in (StateLog, LedgerEntry, AwardLine, Offer)
    )
