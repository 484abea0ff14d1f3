"""What every part of the generator shares: units, the password, small random helpers."""

import math
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from deposit_claims.templatetags.ui import money

from ..models import Complaint

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
PASSWORD = "load-2026"  # noqa: S105 - the documented password of generated load-test logins
CHUNK_COMPLAINTS = 20_000
REVIEWERS, SENIORS = 20, 5
PLACEHOLDER = "evidence/load/placeholder.png"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

S = Complaint.Status
K = Complaint.Kind
# The stages in which disputes.deadlines acts on `due_at` (the others only flag an overdue
# decision, or nothing), those it flags, and those whose party it reminds.
DUE_STAGES = frozenset(
    {
        S.NEGOTIATING,
        S.AWAITING_INFO,
        S.AWAITING_MERCHANT_PAYMENT,
        S.PAID,
        S.REJECTED,
        S.UNDER_APPEAL,
    }
)
DECIDING = frozenset({S.UNDER_REVIEW, S.AWAITING_INFO, S.AWAITING_APPROVAL})
REMINDED = frozenset({S.NEGOTIATING, S.AWAITING_INFO, S.AWAITING_MERCHANT_PAYMENT, S.UNDER_APPEAL})
# Nothing falls due in the hour after `now`: a million complaints take minutes to write, and
# the deadline processor run right after must find nothing to do (no move, flag, reminder or
# restriction), so that it measures what it does later rather than the generator's leftovers.
QUIET = timedelta(hours=1)


class LoadDataError(Exception):
    """The data set cannot be generated as asked."""


class DoesNotFit(LoadDataError):
    """This telling of a story cannot be placed before now; another draw is told instead."""


def seeded(seed) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, not secrets


def q(amount) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def share(rng: random.Random, low: float, high: float) -> Decimal:
    """A random fraction as a Decimal, without the float's tail."""
    return Decimal(str(round(rng.uniform(low, high), 3)))


def price(rng: random.Random, low: float, high: float) -> Decimal:
    """Log-uniform between the bounds, at the prices shops ask: from ¥100, two figures and
    a 9 (¥1,299), with the endings shops use."""
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = 10 ** (int(math.log10(value)) - 1) if value >= 100 else 1
    yuan = max(int(value / step) * step - (step > 1), 1)
    return Decimal(f"{yuan}.{rng.choice(('00', '00', '00', '90', '99'))}")


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return HOUR * (low + (high - low) * rng.random())


class Later:
    """An amount in a notification that only the ledger replay knows: what a hold could
    freeze, what a capped payout paid."""

    def __init__(self, amount):
        self.amount = amount

    def __str__(self):
        return money(self.amount())
