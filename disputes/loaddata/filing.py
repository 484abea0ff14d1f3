"""The order a complaint is about, and the complaint as filed."""

import random
from datetime import timedelta
from decimal import Decimal

from .. import compensation
from ..models import Evidence, Party
from .base import CENT, HOUR, ZERO, K, LoadDataError, _hours, price, q, share
from .texts import BIG_ITEMS, CATALOG, DESCRIPTIONS, EVIDENCE_KINDS, GENERIC_ITEMS
from .world import new_complaint


def order_facts(kind: str, filed_at, rng: random.Random, rules: compensation.Rules) -> dict:
    """When the order was paid, shipped, delivered and completed, so that a complaint of
    `kind` can be filed at `filed_at` (and, for a return, when the return was asked for)."""
    if kind == K.LATE_SHIPPING:
        return _late_order(filed_at, rng, rules)
    if kind == K.SEVEN_DAY_RETURN:
        delivered = filed_at - _hours(rng, 2, 300)
        shipped = delivered - _hours(rng, 12, 96)
        requested_by = min(filed_at - delivered, timedelta(hours=167))
        return {
            "paid_at": shipped - _hours(rng, 1, 40),
            "shipped_at": shipped,
            "delivered_at": delivered,
            # Any time in the 168 h from delivery is inside the window, whatever the day.
            "return_requested_at": delivered + requested_by * rng.uniform(0.05, 1),
        }
    window = timedelta(days=getattr(rules, WINDOW_DAYS[kind]))
    if rng.random() < 0.1:  # delivered, not yet confirmed
        delivered, completed = filed_at - _hours(rng, 1, 120), None
    else:
        completed = filed_at - (window - HOUR) * rng.uniform(0.005, 1)
        delivered = completed - _hours(rng, 0, 72)
    shipped = delivered - _hours(rng, 12, 96)
    return {
        "paid_at": shipped - _hours(rng, 1, 47),
        "shipped_at": shipped,
        "delivered_at": delivered,
        "completed_at": completed,
    }


# The rule that says how many days after completion each kind can be filed.
WINDOW_DAYS = {
    K.COUNTERFEIT: "counterfeit_window_days",
    K.AFTER_SALES: "after_sales_window_days",
    K.DESCRIPTION_MISMATCH: "mismatch_window_days",
    K.FALSE_ADVERTISING: "false_ad_window_days",
    K.PRICE_FRAUD: "false_ad_window_days",
}


def _late_order(filed_at, rng, rules):
    promised = rng.random() < 0.2
    grace = _hours(rng, 24, 96) if promised else timedelta(hours=rules.late_ship_grace_hours)
    deadline = filed_at - _hours(rng, 1, 200)
    facts = {"paid_at": deadline - grace, "ship_by": deadline if promised else None}
    if rng.random() < 0.5:
        return facts  # still not shipped when the complaint was filed
    # Shipped at or after the deadline is late; delivery and completion if they came in time.
    shipped = deadline + (filed_at - deadline) * rng.random()
    delivered = shipped + _hours(rng, 12, 72)
    completed = delivered + _hours(rng, 1, 72)
    facts["shipped_at"] = shipped
    if delivered <= filed_at:
        facts["delivered_at"] = delivered
        if completed <= filed_at:
            facts["completed_at"] = completed
    return facts


class Filing:
    """The story's first step (a mixin of Story)."""

    def file(self) -> None:
        w, rng, kind = self.w, self.rng, self.kind
        item, goods = self._goods()
        postage = Decimal(rng.choice((0, 0, 0, 6, 8, 10, 12, 15)))
        # A partial refund by the marketplace (never on the orders sent for approval).
        partly_refunded = not self.big and rng.random() < 0.06
        refunded = q(goods * share(rng, 0.1, 0.5)) if partly_refunded else ZERO
        facts = order_facts(kind, self.t0, rng, w.rules)
        requested = facts.pop("return_requested_at", None)
        self.order = {
            "consumer_id": self.consumer,
            "merchant_id": self.store.id,
            "item_title": item,
            "goods_amount": goods,
            "postage": q(postage),
            "refunded_amount": refunded,
            "ship_by": None,
            "shipped_at": None,
            "delivered_at": None,
            "completed_at": None,
            **facts,
        }
        return_shipping = ZERO
        if kind == K.DESCRIPTION_MISMATCH and rng.random() < 0.35:
            return_shipping = q(rng.choice((8, 10, 12, 15, 18, 20, 23)))
        self.lines = w.suggestion(kind, goods, postage, refunded, return_shipping=return_shipping)
        self.suggested = compensation.total(self.lines)
        claimed = self.suggested
        if rng.random() < 0.3:
            claimed = max(q(self.suggested * share(rng, 0.5, 1)), CENT)
        self.c = new_complaint(
            w.template,
            consumer_id=self.consumer,
            merchant_id=self.store.id,
            kind=kind,
            description=rng.choice(DESCRIPTIONS[kind]),
            claimed_amount=claimed,
            suggested_amount=self.suggested,
            suggested_refund=compensation.total(
                [line for line in self.lines if line.category == compensation.REFUND]
            ),
            return_requested_at=requested,
            return_shipping=return_shipping,
            due_at=self.t0 + w.answer_time,
            created_at=self.t0,
            updated_at=self.t0,
        )
        self._consumer_evidence(receipt=return_shipping > 0)

    def _check_filing(self) -> None:
        """The complaint could be filed when it was, as file_complaint checks."""
        order = self.order
        facts = compensation.OrderFacts(
            **{name: order[name] for name in compensation.OrderFacts.__dataclass_fields__}
        )
        refusal = compensation.check_filing(
            self.kind, facts, self.w.rules, self.t0, self.c.return_requested_at
        )
        if refusal:
            raise LoadDataError(f"story {self.index}: {refusal}")

    def _goods(self) -> tuple[str, Decimal]:
        rng = self.rng
        if self.big:
            item, low, high = rng.choice(BIG_ITEMS)
            return item, price(rng, max(low, 1500), high)
        category = rng.choice(self.store.categories)
        item, low, high = rng.choice(CATALOG.get(category.code, GENERIC_ITEMS))
        return item, price(rng, low, high)

    def _consumer_evidence(self, *, receipt: bool) -> None:
        kinds = EVIDENCE_KINDS[self.kind]
        chosen = kinds[:2] if self.rng.random() < 0.5 else kinds[:1]
        if receipt:  # declared return shipping needs its logistics record
            chosen = (*chosen, Evidence.Kind.LOGISTICS_RECORD)
        for kind in chosen:
            self._evidence(self.consumer, Party.CONSUMER, kind)

    def _evidence(self, uploader: int, party: str, kind: str, description: str = "") -> dict:
        evidence = {
            "uploaded_by_id": uploader,
            "party": party,
            "kind": kind,
            "original_name": f"IMG_{self.rng.randrange(10000):04d}.png",
            "description": description,
            "created_at": self.t,
        }
        self.evidence.append(evidence)
        return evidence
