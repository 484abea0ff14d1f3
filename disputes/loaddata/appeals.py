"""Appeals, their answers and resolutions, and the close after the window (a mixin of
Story)."""

from decimal import Decimal

from .. import compensation
from ..models import Appeal, AwardLine, Decision, Party
from .base import CENT, ZERO, K, q, share
from .texts import APPEAL_REASONS, RESOLUTIONS, RESPONSES
from .world import REIMBURSED


class Appeals:
    """The steps after a decision; they run on Story's clock and machine."""

    def file_appeal(self) -> dict:
        self.wait_in_stage(1, 110)  # within the 5-day window
        decision = self.decisions[-1]
        partial = bool(decision["reduction_reason"])
        consumer_appeals = decision["outcome"] != Decision.Outcome.UPHELD or (
            self.rng.random() < (0.7 if partial else 0.3)
        )
        party = Party.CONSUMER if consumer_appeals else Party.MERCHANT
        appellant = self.consumer if consumer_appeals else self.merchant_user()
        reason = self.rng.choice(APPEAL_REASONS[party])
        due_at = self.t + self.w.response_time
        self._apply("appeal", appellant, reason, response_due_at=due_at)
        self.appeal = {
            "id": None,
            "party": party,
            "appellant_id": appellant,
            "reason": reason,
            "created_at": self.t,
            "response_due_at": due_at,
            "response": "",
            "responded_at": None,
            "response_lapsed": False,
            "outcome": "",
            "new_total": None,
            "resolution": "",
            "resolved_by_id": None,
            "resolved_at": None,
            "lines": [],
        }
        if party == Party.MERCHANT:
            self.note("appealed", due=due_at)
        return self.appeal

    def respond_to_appeal(self) -> None:
        self.wait_in_stage(1, 46)
        self.check_timing("respond_to_appeal", system=False)
        self.appeal.update(response=self.rng.choice(RESPONSES), responded_at=self.t)
        self.c.due_at = None  # an update() of the row alone
        if self.appeal["party"] == Party.CONSUMER:
            self.note("appeal_answered")

    def lapse_appeal_response(self) -> None:
        self.at(self.appeal["response_due_at"])
        self.check_timing("lapse_appeal_response", system=True)
        self.appeal["response_lapsed"] = True
        self.c.due_at = None

    def close(self) -> None:
        self.at(self.c.due_at)
        self._apply("close", None, self.w.text.closed)
        self.note("closed")

    def resolve_appeal(self) -> None:
        self.wait(2, 72)
        appeal, decision = self.appeal, self.decisions[-1]
        outcome = self._appeal_outcome(appeal, decision)
        lines = decision["lines"] if decision["outcome"] == Decision.Outcome.UPHELD else []
        revised = {line["rule"]: line["amount"] for line in lines}
        if outcome == Appeal.Outcome.REVISED_UP:
            revised = {line.rule: line.amount for line in self.lines}
            self._pay_appeal_raise(appeal, lines)
        elif outcome == Appeal.Outcome.REVISED_DOWN:
            lowered = next(line for line in reversed(lines) if line["amount"] > CENT)
            revised[lowered["rule"]] = max(q(lowered["amount"] * share(self.rng, 0.4, 0.8)), CENT)
            self._make_merchant_whole(appeal, lines, lowered["amount"] - revised[lowered["rule"]])
        resolution = RESOLUTIONS[outcome]
        appeal.update(
            outcome=outcome,
            new_total=sum(revised.values(), ZERO),
            resolution=resolution,
            resolved_by_id=self.resolver,
            resolved_at=self.t,
        )
        self._apply("resolve_appeal", self.resolver, resolution)
        self.note("appeal_resolved", outcome=self.w.text.outcomes[outcome])

    def _appeal_outcome(self, appeal: dict, decision: dict) -> str:
        """Upheld, or (never for the capped counterfeit multiple, whose payout the deposit
        decided) raised to the suggestion on the consumer's appeal of a partial award, or
        lowered on the merchant's."""
        if decision["outcome"] != Decision.Outcome.UPHELD or self.kind == K.COUNTERFEIT:
            return Appeal.Outcome.UPHELD
        if appeal["party"] == Party.CONSUMER and decision["reduction_reason"]:
            return Appeal.Outcome.REVISED_UP if self.rng.random() < 0.5 else Appeal.Outcome.UPHELD
        if appeal["party"] == Party.MERCHANT and self.rng.random() < 0.4:
            return Appeal.Outcome.REVISED_DOWN
        return Appeal.Outcome.UPHELD

    def _pay_appeal_raise(self, appeal: dict, lines: list[dict]) -> None:
        # What each line paid: all of it, as no line here is capped (see _appeal_outcome).
        paid = {line["rule"]: line["amount"] for line in lines}
        raised = []
        for line in self.lines:
            before = paid.get(line.rule, ZERO)
            if line.amount > before:
                raised.append(
                    {
                        "category": line.category,
                        "amount": line.amount - before,
                        "rule": line.rule,
                        "explanation": compensation.raised_on_appeal(
                            line.explanation, before=before, after=line.amount
                        ),
                        "capped": line.capped,
                        "paid_amount": None,
                        "paid_by_merchant": False,
                        "ledger_entry": None,
                    }
                )
        appeal["lines"] = raised
        self._ledger("payout", lines=raised, memo=self.w.text.raised, actor=self.resolver)

    def _make_merchant_whole(self, appeal: dict, lines: list[dict], difference: Decimal) -> None:
        paid_first = any(line["paid_by_merchant"] for line in lines)
        line = {
            "category": AwardLine.Category.OTHER,
            "amount": difference,
            "rule": AwardLine.REIMBURSEMENT_RULE,
            "explanation": REIMBURSED,
            "capped": False,
            "paid_amount": difference,
            "paid_by_merchant": False,
            "ledger_entry": None,
        }
        appeal["lines"] = [line]
        owner = self.w.names.owner(self.store.j)
        self._ledger(
            "reimburse",
            amount=difference,
            to_merchant=paid_first,
            payee_account=owner if paid_first else "",
            line=line,
            actor=self.resolver,
        )
