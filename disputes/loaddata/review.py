"""The platform's review: the case taken, information asked, decided, approved, paid or
rejected (a mixin of Story)."""

from deposit_claims.templatetags.ui import money

from .. import compensation
from ..models import Decision, Evidence, Party
from .base import CENT, ZERO, K, Later, S, q, share
from .texts import ANSWERS, QUESTIONS, REASONINGS, REDUCTIONS, REJECTIONS, SEND_BACKS


class Review:
    """The platform's steps, through payout; they run on Story's clock and machine."""

    def take(self) -> None:
        self.wait(0.2, 30)
        self._apply(
            "take",
            self.reviewer,
            self.w.text.took,
            reviewer=self.w.reviewer_stubs[self.reviewer],
        )

    def request_info(self, party: str) -> dict:
        question = self.rng.choice(QUESTIONS[party])
        due_at = self.t + self.w.info_time
        self._apply("request_info", self.reviewer, question, due_at=due_at)
        request = {
            "party": party,
            "question": question,
            "asked_by_id": self.reviewer,
            "created_at": self.t,
            "due_at": due_at,
            "answer": "",
            "answered_by_id": None,
            "answered_at": None,
            "lapsed_at": None,
        }
        self.requests.append(request)
        if party == Party.CONSUMER:
            self.note("info_requested", due=due_at)
        return request

    def answer_info(self, request: dict) -> None:
        self.wait_in_stage(1, 70)
        by = self.consumer if request["party"] == Party.CONSUMER else self.merchant_user()
        self.check_timing("submit_info", system=False)
        request.update(answer=self.rng.choice(ANSWERS), answered_by_id=by, answered_at=self.t)
        self.c.updated_at = self.t
        self._resume_if_complete(by)

    def lapse_info(self) -> None:
        self.at(min(r["due_at"] for r in self.requests if _is_open(r)))
        self.check_timing("lapse_info_requests", system=True)
        for request in self.requests:
            if _is_open(request) and request["due_at"] <= self.t:
                request["lapsed_at"] = self.t
        self.c.info_lapsed = True
        self._resume_if_complete(None, lapsed=True)

    def _resume_if_complete(self, by, *, lapsed: bool = False) -> None:
        still_open = [r["due_at"] for r in self.requests if _is_open(r)]
        if still_open:
            self.c.due_at = min(still_open)
            return
        text = self.w.text.info_lapsed if lapsed else self.w.text.info_in
        self._apply("resume_review", by, text, lapsed=lapsed)

    def investigate(self, *, info: float = 0.15) -> None:
        self.take()
        if self.rng.random() < info:
            self.wait(1, 48)
            request = self.request_info(self.asked_party())
            if self.rng.random() < 0.8:
                self.answer_info(request)
            else:
                self.lapse_info()

    def asked_party(self) -> str:
        return Party.CONSUMER if self.rng.random() < 0.65 else Party.MERCHANT

    # --- decisions ------------------------------------------------------------------------

    def _award(self, *, full: bool) -> tuple[list[dict], str]:
        """The suggested lines, or (a quarter of the time) less than suggested, with a reason."""
        rng = self.rng
        partial = not full and rng.random() < 0.25
        lines = []
        for line in self.lines:
            amount = line.amount
            lowered = line.category != compensation.REFUND or len(self.lines) == 1
            if partial and lowered and amount > CENT:
                amount = max(q(amount * share(rng, 0.3, 0.85)), CENT)
            lines.append(
                {
                    "category": line.category,
                    "amount": amount,
                    "rule": line.rule,
                    "explanation": line.explanation,
                    "capped": line.capped,
                    "paid_amount": None,
                    "paid_by_merchant": False,
                    "ledger_entry": None,
                }
            )
        total = sum((line["amount"] for line in lines), ZERO)
        return lines, rng.choice(REDUCTIONS) if total < self.suggested else ""

    def _decision(self, **values) -> dict:
        decision = {
            "id": None,
            "route": "",
            "suggested_total": self.suggested,
            "reduction_reason": "",
            "status": Decision.Status.FINAL,
            "decided_by_id": self.reviewer,
            "decided_at": self.t,
            "approved_by_id": None,
            "approved_at": None,
            "sent_back_reason": "",
            "lines": [],
            # The reviewer relies on the consumer's evidence.
            "evidence": [e for e in self.evidence if e["party"] == Party.CONSUMER],
            **values,
        }
        self.decisions.append(decision)
        return decision

    def _route_arguments(self, decision: dict) -> dict:
        return {
            "pay_first": decision["route"] == Decision.Route.MERCHANT_FIRST,
            "pay_first_due_at": self.t + self.w.pay_first_time,
            "appeal_until": self.t + self.w.appeal_time,
        }

    def decide(self, *, pay_first: bool, full: bool = False) -> dict:
        lines, reduction = self._award(full=full)
        total = sum((line["amount"] for line in lines), ZERO)
        needs_approval = total > self.w.approval_threshold
        reasoning = self.rng.choice(REASONINGS)
        decision = self._decision(
            outcome=Decision.Outcome.UPHELD,
            reason_code=(
                Decision.ReasonCode.PARTLY_PROVEN if reduction else Decision.ReasonCode.RULE_BROKEN
            ),
            reasoning=reasoning,
            route=Decision.Route.MERCHANT_FIRST if pay_first else Decision.Route.DEPOSIT,
            reduction_reason=reduction,
            status=Decision.Status.PENDING_APPROVAL if needs_approval else Decision.Status.FINAL,
            lines=lines,
            total=total,
        )
        self._apply(
            "decide",
            self.reviewer,
            reasoning,
            needs_approval=needs_approval,
            **self._route_arguments(decision),
        )
        self._after_route(decision, self.reviewer)
        return decision

    def approve(self) -> None:
        decision = self.decisions[-1]
        decision.update(
            status=Decision.Status.FINAL, approved_by_id=self.approver, approved_at=self.t
        )
        self._apply(
            "approve",
            self.approver,
            self.w.text.approved % {"amount": money(decision["total"])},
            **self._route_arguments(decision),
        )
        self._after_route(decision, self.approver)

    def send_back(self) -> None:
        reason = self.rng.choice(SEND_BACKS)
        self.decisions[-1].update(status=Decision.Status.SENT_BACK, sent_back_reason=reason)
        self._apply("send_back", self.approver, reason)

    def _after_route(self, decision: dict, actor) -> None:
        if self.c.status == S.PAID:
            self._pay_from_deposit(decision, actor)
        elif self.c.status == S.AWAITING_MERCHANT_PAYMENT:
            self.note("decided_pay_first", amount=money(decision["total"]), due=self.c.due_at)

    def _pay_from_deposit(self, decision: dict, actor) -> None:
        self._ledger(
            "payout",
            lines=decision["lines"],
            decision=decision,
            memo=self.w.text.reason_codes[decision["reason_code"]],
            actor=actor,
        )
        lines = decision["lines"]
        paid = Later(lambda: sum((line["paid_amount"] or ZERO for line in lines), ZERO))
        self.note("decided_paid", amount=paid, due=self.c.due_at)

    def confirm_payment(self) -> None:
        self.wait_in_stage(1, 70)
        by = self.merchant_user()
        self._evidence(by, Party.MERCHANT, Evidence.Kind.PAYMENT_VOUCHER, self.w.text.proof)
        decision = self.decisions[-1]
        for line in decision["lines"]:
            line.update(paid_by_merchant=True, paid_amount=line["amount"])
        self._ledger("release", occasion="paid-first", actor=by)
        self._apply(
            "confirm_payment",
            by,
            self.w.text.merchant_paid,
            appeal_until=self.t + self.w.appeal_time,
        )
        self.note("merchant_paid", amount=money(decision["total"]))

    def charge_deposit(self) -> None:
        self.at(self.c.due_at)
        self._apply(
            "charge_deposit", None, self.w.text.charged, appeal_until=self.t + self.w.appeal_time
        )
        self._pay_from_deposit(self.decisions[-1], None)

    def pay_first_or_charge(self) -> None:
        if self.c.status == S.AWAITING_MERCHANT_PAYMENT:
            if self.rng.random() < 0.65:
                self.confirm_payment()
            else:
                self.charge_deposit()

    def reject(self) -> None:
        rng = self.rng
        malicious = self.malice and rng.random() < 0.03
        codes = [Decision.ReasonCode.INSUFFICIENT_EVIDENCE, Decision.ReasonCode.OUTSIDE_RULES]
        if self.kind == K.COUNTERFEIT:
            codes += [Decision.ReasonCode.NOT_PERSONAL_USE, Decision.ReasonCode.BRAND_OWNER]
        code = Decision.ReasonCode.MALICIOUS if malicious else rng.choice(codes)
        reasoning = REJECTIONS[code]
        self._decision(
            outcome=(
                Decision.Outcome.REJECTED_MALICIOUS if malicious else Decision.Outcome.REJECTED
            ),
            reason_code=code,
            reasoning=reasoning,
            suggested_total=self.c.suggested_amount,
            total=ZERO,
        )
        self._ledger("release", occasion="rejection", actor=self.reviewer)
        self._apply("reject", self.reviewer, reasoning, appeal_until=self.t + self.w.appeal_time)
        if malicious:
            self.strike = {"consumer_id": self.consumer, "created_at": self.t, "removed_at": None}
        self.note("rejected", amount=money(ZERO), due=self.c.due_at)

    def decide_case(
        self, *, pay_first: bool | None = None, approve: bool = True, full: bool = False
    ) -> None:
        self.escalate_somehow()
        self.investigate()
        self.wait(2, 96)
        if pay_first is None:
            pay_first = self.rng.random() < 0.35
        self.decide(pay_first=pay_first, full=full)
        if self.c.status == S.AWAITING_APPROVAL and approve:
            self.wait(1, 48)
            self.approve()

    def reject_case(self) -> None:
        self.escalate_somehow()
        self.investigate()
        self.wait(2, 96)
        self.reject()

    def paid_or_rejected(self, paid_share: float) -> None:
        if self.rng.random() < paid_share:
            self.decide_case()
            self.pay_first_or_charge()
        else:
            self.reject_case()


def _is_open(request: dict) -> bool:
    return request["answered_at"] is None and request["lapsed_at"] is None
