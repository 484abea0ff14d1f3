"""Random sequences of deposit operations against a plain-Python model of the rules."""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deposits import services
from deposits.audit import audit_deposits
from deposits.destinations import Destination
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    MerchantMemberFactory,
    SeniorReviewerFactory,
)

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
# Amounts of the order of the deposit, so that holds, payouts and caps run into its limits.
CENT = Decimal("0.01")


def yuan(low: int, high: int):
    """Whole yuan or yuan and fen between low and high; fen alone would rarely reach a limit."""
    return st.one_of(
        st.integers(low, high).map(Decimal),
        st.integers(low * 100, high * 100).map(lambda fen: (Decimal(fen) * CENT).quantize(CENT)),
    ).filter(bool)


money = yuan(0, 4000)
signed_money = st.one_of(st.just(ZERO), yuan(-2000, 2000))
references = st.sampled_from(["TS1", "TS2", "TS3"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay_in"), money),
        st.tuples(st.just("hold"), references, money, st.booleans()),
        st.tuples(st.just("release"), references),
        st.tuples(st.just("pay_out"), references, money, st.one_of(st.just(ZERO), money)),
        st.tuples(st.just("reimburse"), money, st.booleans()),
        st.tuples(st.just("adjust"), signed_money, signed_money),
        st.tuples(st.just("replay"), st.integers(min_value=0, max_value=40)),
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class Model:
    balance: Decimal
    held: Decimal = ZERO
    arrears: Decimal = ZERO
    held_by_reference: dict = field(default_factory=dict)

    @property
    def available(self):
        return self.balance - self.held

    def pay_in(self, amount):
        settled = min(amount, self.arrears)
        self.arrears -= settled
        self.balance += amount - settled

    def hold(self, reference, amount, capped):
        to_hold = min(amount, self.available) if capped else amount
        if to_hold > self.available:
            return "refused"
        if to_hold <= 0:
            return None
        self.held += to_hold
        self.held_by_reference[reference] = self.held_by_reference.get(reference, ZERO) + to_hold
        return to_hold

    def release(self, reference):
        released = self.held_by_reference.pop(reference, ZERO)
        self.held -= released
        return released or None

    def pay_out(self, reference, amount, capped):
        held = self.held_by_reference.pop(reference, ZERO)
        from_hold = min(amount, held)
        from_free = min(amount - from_hold, self.available)
        advanced = amount - from_hold - from_free
        capped_paid = min(capped, held - from_hold + self.available - from_free)
        self.held -= held
        self.balance -= from_hold + from_free + capped_paid
        self.arrears += advanced
        return amount + capped_paid, capped_paid, advanced

    def reimburse(self, amount, directly):
        cancelled = min(amount, self.arrears)
        self.arrears -= cancelled
        if not directly:
            self.balance += amount - cancelled

    def adjust(self, balance_delta, arrears_delta):
        if not balance_delta and not arrears_delta:
            return "refused"
        if self.balance + balance_delta < self.held or self.arrears + arrears_delta < 0:
            return "refused"
        self.balance += balance_delta
        self.arrears += arrears_delta
        return None


@pytest.fixture
def small_account():
    account = DepositAccountFactory(paid_in=Decimal("3000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    return account


@pytest.fixture
def people():
    return {"senior": SeniorReviewerFactory(), "payee": ConsumerFactory()}


def call(operation, key, account, people):
    name, *args = operation
    if name == "pay_in":
        return services.record_pay_in(
            account=account, amount=args[0], reference="B", idempotency_key=key
        )
    if name == "hold":
        reference, amount, capped = args
        return services.hold(
            account=account,
            amount=amount,
            reference=reference,
            idempotency_key=key,
            cap_at_available=capped,
        )
    if name == "release":
        return services.release_hold(account=account, reference=args[0], idempotency_key=key)
    if name == "pay_out":
        reference, amount, capped = args
        return services.pay_out(
            account=account,
            reference=reference,
            amount=amount,
            capped_amount=capped,
            payee=people["payee"],
            destination=Destination.of(method="alipay", number="x@example.com"),
            idempotency_key=key,
        )
    if name == "reimburse":
        return services.reimburse(
            account=account,
            amount=args[0],
            reference="TS9",
            idempotency_key=key,
            to_merchant_directly=args[1],
        )
    return services.adjust(
        account=account,
        balance_delta=args[0],
        arrears_delta=args[1],
        memo="Property test",
        actor=people["senior"],
        idempotency_key=key,
    )


def apply_to_model(model, operation):
    name, *args = operation
    return getattr(model, name)(*args)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=operations)
def test_random_operations_keep_every_invariant_and_the_audit_passes(
    small_account, people, sequence
):
    account = small_account
    with transaction.atomic():
        account.refresh_from_db()
        model = Model(balance=account.balance)
        done = []  # (key, operation, result) of calls that wrote something
        for index, operation in enumerate(sequence):
            key = f"op-{index}"
            if operation[0] == "replay":
                if not done:
                    continue
                key, operation, first = done[operation[1] % len(done)]
                before = (account.balance, account.held, account.arrears)
                again = call(operation, key, account, people)
                assert (account.balance, account.held, account.arrears) == before
                assert repr(again) == repr(first)
                continue
            expected = apply_to_model(model, operation)
            if expected == "refused":
                with pytest.raises(ValidationError):
                    call(operation, key, account, people)
            else:
                result = call(operation, key, account, people)
                if operation[0] == "pay_out":
                    assert (result.amount_paid, result.capped_paid, result.advanced) == expected
                if result is not None:
                    done.append((key, operation, result))
            account.refresh_from_db()
            assert (account.balance, account.held, account.arrears) == (
                model.balance,
                model.held,
                model.arrears,
            )
            assert (
                account.balance >= 0
                and 0 <= account.held <= account.balance
                and account.arrears >= 0
            )
        assert audit_deposits()[0] == []
        transaction.set_rollback(True)
