"""Each store's deposit, its ledger replayed in time order as deposits.services posts it."""

import heapq
import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from deposit_claims.templatetags.ui import money
from deposits.destinations import Destination
from deposits.models import Disbursement, LedgerEntry

# The ledger's own request fingerprint, so that a replayed call is recognised as the same.
from deposits.services import TOP_UP_PERIOD, _digest

from .base import DAY, ZERO, _hours
from .texts import FAILURE, PAY_IN_MEMO
from .world import World

if TYPE_CHECKING:
    from .story import Story


class Deposit:
    """One store's deposit account, its entries posted in time order as deposits.services
    posts them, with the running balance, held and arrears."""

    def __init__(self, world: World, store, rng: random.Random):
        self.w, self.store, self.rng = world, store, rng
        self.account = SimpleNamespace(pk=store.account_id)
        self.balance = self.held = self.arrears = ZERO
        self.held_for: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.entries, self.disbursements = [], []
        self.notice_due_by = None
        self.top_ups: list = []
        self.top_up_count = 0

    def replay(self, stories: list["Story"]) -> None:
        store = self.store
        self.pay_in(
            store.created_at + _hours(self.rng, 1, 72),
            amount=store.required,
            kind=LedgerEntry.Kind.PAY_IN,
            key=f"pay-in-{store.code}",
            reference=f"BANK-{store.code.upper()}",
        )
        calls = [call for story in stories for call in story.ledger]
        calls.sort(key=lambda call: (call["at"], call["order"]))
        for call in calls:
            self._top_ups_due(call["at"])
            getattr(self, f"_{call['op']}")(call)
        self._top_ups_due(self.w.now)
        for story in stories:
            story.c.held_amount = self.held_for.get(story.c.ledger_reference, ZERO)

    # --- plumbing, as deposits.services._Operation ------------------------------------------

    def _operation(self, at, key, digest, *, reference="", actor=None, memo="") -> dict:
        return {
            "at": at,
            "key": key,
            "digest": digest,
            "reference": reference,
            "actor": actor,
            "memo": memo,
            "entries": [],
        }

    def _post(self, operation, kind, *, balance=ZERO, held=ZERO, arrears=ZERO, memo=None) -> dict:
        self.balance += balance
        self.held += held
        self.arrears += arrears
        key = operation["key"]
        entry = {
            "id": self.w.take_ids(LedgerEntry),
            "account_id": self.account.pk,
            "kind": kind,
            "balance_delta": balance,
            "held_delta": held,
            "arrears_delta": arrears,
            "balance_after": self.balance,
            "held_after": self.held,
            "arrears_after": self.arrears,
            "reference": operation["reference"],
            "actor_id": operation["actor"],
            "memo": operation["memo"] if memo is None else memo,
            "created_at": operation["at"],
            # The first entry carries the caller's key; the others are told apart by kind.
            "idempotency_key": f"{key}#{kind}" if operation["entries"] else key,
            "operation_key": key,
            "request_digest": operation["digest"],
        }
        if operation["reference"] and held:
            self.held_for[operation["reference"]] += held
        operation["entries"].append(entry)
        self.entries.append(entry)
        return entry

    def _digest(self, name: str, **arguments) -> str:
        return _digest(name, self.account, **arguments)

    @property
    def shortfall(self) -> Decimal:
        return max(self.store.required - self.balance + self.arrears, ZERO)

    # --- pay-ins and top-ups -------------------------------------------------------------

    def pay_in(self, at, *, amount, kind, key, reference) -> None:
        """record_pay_in: arrears are settled first, then the balance grows."""
        digest = self._digest("record_pay_in", amount=amount, kind=kind, reference=reference)
        operation = self._operation(
            at, key, digest, reference=reference, actor=self.w.finance, memo=PAY_IN_MEMO[kind]
        )
        settled = min(amount, self.arrears)
        if settled:
            self._post(operation, LedgerEntry.Kind.ARREARS_SETTLEMENT, arrears=-settled)
        if amount - settled:
            self._post(operation, kind, balance=amount - settled)
        self._after_money_in()

    def _after_money_out(self, at) -> None:
        """A payout left the deposit short: a top-up notice, and the store tops up later
        (a tenth of the stores only after the deadline, restricted meanwhile)."""
        if self.shortfall <= 0 or self.notice_due_by is not None:
            return
        self.notice_due_by = at + TOP_UP_PERIOD
        late = self.rng.random() < 0.1
        delay = self.rng.uniform(16, 40) if late else self.rng.uniform(1, 12)
        arrives = at + timedelta(days=delay)
        if self.w.now < self.notice_due_by <= self.w.quiet_until:
            # Not a restriction for the deadline processor to impose in the quiet hour.
            arrives = min(arrives, self.w.now)
        heapq.heappush(self.top_ups, arrives)

    def _after_money_in(self) -> None:
        if self.notice_due_by is not None and self.shortfall <= 0:
            self.notice_due_by = None

    def _top_ups_due(self, until) -> None:
        while self.top_ups and self.top_ups[0] <= until:
            at = heapq.heappop(self.top_ups)
            if self.notice_due_by is None or self.shortfall <= 0:
                continue
            self.top_up_count += 1
            code, n = self.store.code, self.top_up_count
            self.pay_in(
                at,
                amount=self.shortfall,
                kind=LedgerEntry.Kind.TOP_UP,
                key=f"top-up-{code}-{n}",
                reference=f"BANK-{code.upper()}-TOP-UP-{n}",
            )

    # --- the calls complaints make ---------------------------------------------------------

    def _hold(self, call) -> None:
        """hold(cap_at_available=True): the claim, at most the suggestion, up to what is free."""
        c = call["complaint"]
        reference = c.ledger_reference
        amount = min(c.claimed_amount, c.suggested_amount)
        call["held"] = to_hold = min(amount, self.balance - self.held)
        if to_hold <= 0:
            return
        digest = self._digest("hold", amount=amount, reference=reference, cap_at_available=True)
        key = f"{reference}:hold:{call['occasion']}"
        operation = self._operation(
            call["at"], key, digest, reference=reference, actor=call["actor"]
        )
        self._post(operation, LedgerEntry.Kind.HOLD, held=to_hold)

    def _release(self, call) -> None:
        reference = call["complaint"].ledger_reference
        still_held = self.held_for.get(reference, ZERO)
        if still_held <= 0:
            return
        digest = self._digest("release_hold", reference=reference)
        key = f"{reference}:release:{call['occasion']}"
        operation = self._operation(
            call["at"], key, digest, reference=reference, actor=call["actor"]
        )
        self._post(operation, LedgerEntry.Kind.RELEASE, held=-still_held)

    def _payout(self, call) -> None:
        """pay_out: the hold, then the free balance, then the platform's advance; the capped
        multiple only from what the hold and the free balance still have."""
        c, lines = call["complaint"], call["lines"]
        reference = c.ledger_reference
        amount = sum((line["amount"] for line in lines if not line["capped"]), ZERO)
        capped = sum((line["amount"] for line in lines if line["capped"]), ZERO)
        held_for_claim = self.held_for.get(reference, ZERO)
        free = self.balance - self.held
        from_hold = min(amount, held_for_claim)
        from_free = min(amount - from_hold, free)
        advanced = amount - from_hold - from_free
        hold_left, free_left = held_for_claim - from_hold, free - from_free
        capped_paid = min(capped, hold_left + free_left)
        held_used = from_hold + min(capped_paid, hold_left)
        entry = None
        if amount + capped_paid:
            entry = self._post_payout(
                call, c, amount, capped, capped_paid, advanced, held_for_claim, held_used
            )
        capped_left = capped_paid
        for line in lines:
            if line["capped"]:
                line["paid_amount"] = min(line["amount"], capped_left)
                capped_left -= line["paid_amount"]
            else:
                line["paid_amount"] = line["amount"]
            line["ledger_entry"] = entry

    def _post_payout(
        self, call, c, amount, capped, capped_paid, advanced, held_for_claim, held_used
    ):
        reference = c.ledger_reference
        decision = call.get("decision")
        key = f"{reference}:payout:{decision['id']}" if decision else f"{reference}:appeal-payout"
        digest = self._digest(
            "pay_out",
            reference=reference,
            amount=amount,
            capped_amount=capped,
            payee=c.consumer_id,
        )
        operation = self._operation(
            call["at"], key, digest, reference=reference, actor=call["actor"], memo=call["memo"]
        )
        paid_from_deposit = amount - advanced + capped_paid
        entry = self._post(
            operation, LedgerEntry.Kind.CLAIM_PAYOUT, balance=-paid_from_deposit, held=-held_used
        )
        if advanced:
            self._post(operation, LedgerEntry.Kind.PLATFORM_ADVANCE, arrears=advanced)
        if held_for_claim - held_used:
            self._post(operation, LedgerEntry.Kind.RELEASE, held=-(held_for_claim - held_used))
        # Generated consumers are paid to the Alipay account of their login, where every
        # payout went before consumers chose; none waits for an account, so the deadline
        # sweep finds nothing to remind right after a load.
        self._disburse(
            call["at"],
            payee=c.consumer_id,
            payee_kind=Disbursement.PayeeKind.CONSUMER,
            amount=amount + capped_paid,
            destination=Destination.of(
                method=Disbursement.Method.ALIPAY, number=self.w.consumer_username(c.consumer_id)
            ),
            reference=reference,
            entry=entry,
        )
        self._after_money_out(call["at"])
        return entry

    def _reimburse(self, call) -> None:
        """reimburse: arrears cancelled first; the rest back into the deposit, or to the
        store directly when it had paid the consumer itself."""
        c = call["complaint"]
        reference, amount = c.ledger_reference, call["amount"]
        to_merchant, payee_account = call["to_merchant"], call["payee_account"]
        digest = self._digest(
            "reimburse",
            amount=amount,
            reference=reference,
            to_merchant_directly=to_merchant,
            payee_method=Disbursement.Method.BANK,
            payee_account=payee_account,
        )
        key = f"{reference}:appeal-reimbursement"
        operation = self._operation(
            call["at"], key, digest, reference=reference, actor=call["actor"]
        )
        cancelled = min(amount, self.arrears)
        rest = amount - cancelled
        if cancelled:
            self._post(operation, LedgerEntry.Kind.ARREARS_SETTLEMENT, arrears=-cancelled)
        if rest and to_merchant:
            memo = self.w.text.paid_to_store % {"amount": money(rest)}
            entry = self._post(operation, LedgerEntry.Kind.REIMBURSEMENT, memo=memo)
            self._disburse(
                call["at"],
                payee=self.w.store_users(self.store.j)[0],
                payee_kind=Disbursement.PayeeKind.MERCHANT,
                amount=rest,
                destination=Destination.of(method=Disbursement.Method.BANK, number=payee_account),
                reference=reference,
                entry=entry,
            )
        elif rest:
            self._post(operation, LedgerEntry.Kind.REIMBURSEMENT, balance=rest)
        self._after_money_in()
        call["line"]["ledger_entry"] = operation["entries"][0]

    def _disburse(self, at, *, payee, payee_kind, amount, destination, reference, entry):
        """The payout as finance has handled it by now: older ones sent, a few retried."""
        age = self.w.now - at
        r = self.rng.random()
        status, attempts, sent_at, failure = Disbursement.Status.SENT, 1, None, ""
        if age < 3 * DAY and r < 0.5:
            status = Disbursement.Status.PENDING
        elif age < 3 * DAY and r > 0.95:
            status, failure = Disbursement.Status.FAILED, FAILURE
        elif r > 0.97:
            attempts, failure = 2, FAILURE  # failed once, retried, sent
        if status == Disbursement.Status.SENT:
            sent_at = at + min(_hours(self.rng, 0.5, 48), age)
        prefix = "ALIPAY" if destination.method == Disbursement.Method.ALIPAY else "BANK"
        self.disbursements.append(
            {
                "payee_id": payee,
                "payee_kind": payee_kind,
                "amount": amount,
                "method": destination.method,
                "payee_account_encrypted": destination.number_encrypted,
                "payee_account_masked": destination.number_masked,
                "destination_version": 1,
                "status": status,
                "reference": reference,
                "attempts": attempts,
                "external_reference": f"{prefix}{sent_at:%Y%m%d}{entry['id']:010d}"
                if sent_at
                else "",
                "failure_reason": failure,
                "ledger_entry_id": entry["id"],
                "created_at": at,
                "updated_at": sent_at or at,
                "sent_at": sent_at,
                "status_changed_by_id": None
                if status == Disbursement.Status.PENDING
                else self.w.finance,
            }
        )

    # --- the account row ---------------------------------------------------------------

    @property
    def restricted_since(self):
        """A notice past its deadline: the deadline processor restricted the store then."""
        if self.notice_due_by is not None and self.notice_due_by <= self.w.now:
            return self.notice_due_by
        return None

    def account_row(self) -> dict:
        open_notice = self.notice_due_by is not None
        return {
            "id": self.account.pk,
            "merchant_id": self.store.id,
            "balance": self.balance,
            "held": self.held,
            "arrears": self.arrears,
            "top_up_amount_due": self.shortfall if open_notice else ZERO,
            "top_up_due_by": self.notice_due_by,
            "top_up_request_key": "",
            "restricted_for_top_up_at": self.restricted_since,
            "closing_requested_at": None,
            "opened_at": self.store.created_at,
            "updated_at": self.entries[-1]["created_at"],
        }
