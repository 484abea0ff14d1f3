"""Negotiation between the consumer and the store, up to escalation (a mixin of Story)."""

from deposit_claims.templatetags.ui import money

from .. import compensation
from ..models import Offer, Party
from .base import CENT, ZERO, Later, LoadDataError, q, share
from .texts import OFFER_NOTES, REFUSALS


class Negotiation:
    """Steps before the platform steps in; they run on Story's clock and machine."""

    def _lapses_at(self):
        return (self.c.merchant_answered_at or self.t) + self.w.lapse_time

    def refuse(self) -> None:
        self.wait_in_stage(0.3, 47)
        reason = self.rng.choice(REFUSALS)
        by = self.merchant_user()
        self._apply("refuse", by, reason, reason=reason, lapses_at=self._lapses_at())
        if self.rng.random() < 0.4:
            self._evidence(by, Party.MERCHANT, self.rng.choice(("chat_log", "logistics_record")))
        self.note("refused", due=self.c.lapses_at)

    def make_offer(self) -> dict:
        self.wait_in_stage(0.3, 47)
        rng, c = self.rng, self.c
        total = max(q(c.claimed_amount * share(rng, 0.4, 0.95)), CENT)
        refund = ZERO
        if self.kind in compensation.REFUNDING_KINDS:
            base = self.order["goods_amount"] - self.order["refunded_amount"]
            refund = min(q(total * share(rng, 0.6, 1)), base)
        expires_at = self.t + self.w.offer_time
        by = self.merchant_user()
        self._apply(
            "make_offer",
            by,
            self.w.text.offered % {"amount": money(total)},
            offer_expires_at=expires_at,
            lapses_at=self._lapses_at(),
        )
        offer = {
            "refund": refund,
            "compensation": total - refund,
            "note": rng.choice(OFFER_NOTES),
            "status": Offer.Status.OPEN,
            "expires_at": expires_at,
            "made_by_id": by,
            "created_at": self.t,
            "responded_at": None,
        }
        self.offers.append(offer)
        self.note("offer_made", amount=money(total), due=expires_at)
        return offer

    def _answer_offer(self, status: str) -> dict:
        offer = self.offers[-1]
        offer["status"], offer["responded_at"] = status, self.t
        return offer

    def decline_offer(self) -> None:
        self.wait_in_stage(1, 70)
        self._answer_offer(Offer.Status.DECLINED)
        self._apply("decline_offer", self.consumer, self.w.text.declined)

    def expire_offer(self) -> None:
        self.at(self.offers[-1]["expires_at"])
        self._answer_offer(Offer.Status.EXPIRED)
        self._apply("expire_offer", None, self.w.text.expired)
        self.note("offer_expired", due=self.c.lapses_at)

    def accept_offer(self) -> None:
        self.wait_in_stage(1, 70)
        offer = self._answer_offer(Offer.Status.ACCEPTED)
        total = offer["refund"] + offer["compensation"]
        self._apply(
            "accept_offer",
            self.consumer,
            self.w.text.accepted_offer % {"amount": money(total)},
            amount=total,
            reopen_until=self.t + self.w.reopen_time,
        )

    def accept_claim(self) -> None:
        self.wait_in_stage(0.3, 47)
        self._apply(
            "accept_claim",
            self.merchant_user(),
            self.w.text.accepted_claim,
            reopen_until=self.t + self.w.reopen_time,
        )
        self.note("accepted", amount=money(self.c.claimed_amount))

    def settle(self) -> None:
        if self.rng.random() < 0.45:
            self.accept_claim()
        else:
            self.make_offer()
            self.accept_offer()

    def withdraw(self) -> None:
        self._apply("withdraw", self.consumer, self.w.text.withdrawn)
        self._ledger("release", occasion="withdrawal", actor=self.consumer)

    def lapse(self) -> None:
        self.at(self.c.lapses_at)
        self._apply("lapse", None, self.w.text.lapsed)
        self.note("lapsed")

    # --- platform intervention ------------------------------------------------------------

    def escalate(self, *, by_system: bool = False) -> None:
        actor = None if by_system else self.consumer
        text = self.w.text
        self._apply(
            "escalate",
            actor,
            text.silent if by_system else text.stepped_in,
            decision_due_at=self.w.decision_due(self.t),
            by_system=by_system,
        )
        hold = self._ledger("hold", occasion="escalation", actor=actor)
        held = Later(lambda: hold.get("held", ZERO))
        self.note("escalated_silent" if by_system else "escalated", held=held)

    def reopen(self) -> None:
        if self.t >= self.c.reopen_until:  # can.within_reopen_window
            raise LoadDataError(f"story {self.index}: reopened after the window")
        self._apply(
            "reopen",
            self.consumer,
            self.w.text.reopened,
            decision_due_at=self.w.decision_due(self.t),
        )
        self._ledger("hold", occasion="reopening", actor=self.consumer)

    def escalate_somehow(self, *, reopen: bool = True) -> None:
        """Silence past 48 h, a refusal, a declined or expired offer, or an unpaid settlement."""
        r = self.rng.random()
        if r < 0.35:
            self.at(self.c.due_at)
            return self.escalate(by_system=True)
        if r < 0.9 or not reopen:
            if r < 0.75 or r >= 0.9:
                self.refuse()
            else:
                self.make_offer()
                if self.rng.random() < 0.5:
                    self.decline_offer()
                else:
                    self.expire_offer()
            self.wait_in_stage(1, 90)  # within the 7 days after the merchant's answer
            return self.escalate()
        self.settle()
        self.wait_before(self.c.reopen_until, 1, 160)
        self.reopen()
