from decimal import Decimal

import pytest

from deposit_claims.templatetags.ui import money, signed_money


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0"), "¥0.00"),
        (Decimal("-12.3"), "-¥12.30"),
        (Decimal("1000000"), "¥1,000,000.00"),
        (None, ""),
        ("not a number", ""),
    ],
)
def test_money_shows_yuan_with_separators_and_two_decimals(value, shown):
    assert money(value) == shown


def test_signed_money_always_shows_the_sign():
    assert signed_money(Decimal("5")) == "+¥5.00"
    assert signed_money(Decimal("-5")) == "-¥5.00"
    assert signed_money(Decimal("0")) == "¥0.00"
