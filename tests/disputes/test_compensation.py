from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from disputes import compensation as c
from disputes.compensation import DEFAULT_RULES, OrderFacts, Rules

D = Decimal
SECOND = timedelta(seconds=1)
PAID = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
COMPLETED = datetime(2026, 11, 8, 12, 30, tzinfo=UTC)
CHINA = c.CHINA


def facts(**fields) -> OrderFacts:
    values = {"goods_amount": D("199.00"), "paid_at": PAID}
    values.update(fields)
    return OrderFacts(**values)


def award(kind, goods="199.00", *, rules=DEFAULT_RULES, refunded="0.00", postage="0.00", **extra):
    order = facts(goods_amount=D(goods), refunded_amount=D(refunded), postage=D(postage))
    return c.suggest_award(kind, order, rules, **extra)


def items(lines):
    return [(line.category, line.rule, line.amount, line.capped) for line in lines]


def explained(line) -> str:
    with translation.override("en"):
        return str(line.explanation)


def reason(kind, order, now, **extra):
    result = c.check_filing(kind, order, DEFAULT_RULES, now, **extra)
    if result is None:
        return None
    with translation.override("en"):
        return str(result)


def test_default_rules_are_the_product_table():
    product_table = Rules(
        counterfeit_multiple=D("4"),
        counterfeit_window_days=90,
        return_window_hours=168,
        after_sales_window_days=15,
        mismatch_window_days=15,
        false_ad_multiple=D("3"),
        false_ad_minimum=D("500"),
        false_ad_window_days=15,
        late_ship_rate=D("0.30"),
        late_ship_minimum=D("5"),
        late_ship_maximum=D("500"),
        late_ship_grace_hours=48,
        late_ship_window_days=15,
    )
    assert product_table == DEFAULT_RULES


def test_kinds_and_the_late_shipping_group_are_the_products():
    assert sorted(c.KINDS) == [
        "after_sales",
        "counterfeit",
        "description_mismatch",
        "false_advertising",
        "late_shipping",
        "price_fraud",
        "seven_day_return",
    ]
    assert timedelta(hours=24) == c.LATE_SHIPPING_SHARED_WINDOW


# --- base and facts ---------------------------------------------------------------------


def test_base_is_goods_less_earlier_refunds_without_postage():
    order = facts(goods_amount=D("199.00"), postage=D("12.00"), refunded_amount=D("49.50"))
    assert c.base_amount(order) == D("149.50")


def test_base_never_goes_below_zero():
    assert c.base_amount(facts(goods_amount=D("100"), refunded_amount=D("120"))) == 0


def test_facts_are_read_off_any_order_like_object():
    order = SimpleNamespace(
        goods_amount=D("88.00"),
        postage=D("6.00"),
        refunded_amount=D("8.00"),
        paid_at=PAID,
        ship_by=PAID + timedelta(hours=24),
        shipped_at=None,
        delivered_at=None,
        completed_at=None,
        ship_deadline="ignored: the rules decide the default deadline",
    )
    result = c.facts_from_order(order)
    assert result == OrderFacts(
        goods_amount=D("88.00"),
        postage=D("6.00"),
        refunded_amount=D("8.00"),
        paid_at=PAID,
        ship_by=PAID + timedelta(hours=24),
    )


def test_facts_refuse_naive_times():
    with pytest.raises(ValueError, match="delivered_at"):
        facts(delivered_at=datetime(2026, 11, 3, 10, 0))


@pytest.mark.parametrize("function", ["suggest_award", "filing_window", "check_filing"])
def test_an_unknown_kind_is_refused(function):
    arguments = [facts(), DEFAULT_RULES] + ([PAID] if function == "check_filing" else [])
    with pytest.raises(ValueError, match="unknown complaint kind"):
        getattr(c, function)("rude_merchant", *arguments)


@pytest.mark.parametrize(
    ("kind", "argument"),
    [
        ("description_mismatch", "return_shipping"),
        ("after_sales", "assessed_loss"),
        ("late_shipping", "late_ship_already_awarded"),
        ("counterfeit", "available_for_multiple"),
    ],
)
def test_negative_inputs_are_refused(kind, argument):
    with pytest.raises(ValueError, match=argument):
        award(kind, **{argument: D("-0.01")})


# --- counterfeit ------------------------------------------------------------------------


def test_counterfeit_pays_the_base_back_and_four_times_the_base():
    lines = award("counterfeit")
    assert items(lines) == [
        ("refund", "counterfeit.refund", D("199.00"), False),
        ("compensation", "counterfeit.multiple", D("796.00"), True),
    ]
    assert explained(lines[0]) == "¥199.00 paid for the goods"
    assert explained(lines[1]) == "4 × ¥199.00"


def test_counterfeit_uses_the_base_after_earlier_refunds():
    lines = award("counterfeit", refunded="49.00", postage="10.00")
    assert [line.amount for line in lines] == [D("150.00"), D("600.00")]
    assert explained(lines[0]) == "¥199.00 paid for the goods, less ¥49.00 already refunded"


@pytest.mark.parametrize(
    ("available", "multiple", "text"),
    [
        (None, "796.00", "4 × ¥199.00"),
        ("800.00", "796.00", "4 × ¥199.00"),
        ("796.00", "796.00", "4 × ¥199.00"),
        ("795.99", "795.99", "4 × ¥199.00, capped at the ¥795.99 available"),
        ("300.00", "300.00", "4 × ¥199.00, capped at the ¥300.00 available"),
        ("0", "0.00", "4 × ¥199.00, capped at the ¥0.00 available"),
    ],
)
def test_counterfeit_multiple_is_capped_at_what_is_available(available, multiple, text):
    cap = None if available is None else D(available)
    refund, line = award("counterfeit", available_for_multiple=cap)
    assert refund.amount == D("199.00")
    assert line.amount == D(multiple)
    assert line.capped
    assert explained(line) == text


def test_counterfeit_multiple_rounds_half_up_once():
    lines = award("counterfeit", "0.03", rules=Rules(counterfeit_multiple=D("1.5")))
    assert lines[1].amount == D("0.05")  # 0.045; half-even would give 0.04


# --- seven-day return, after-sales, description mismatch --------------------------------


def test_refused_return_pays_the_base_back():
    assert items(award("seven_day_return", refunded="99.00", postage="8.00")) == [
        ("refund", "seven_day_return.refund", D("100.00"), False),
    ]


@pytest.mark.parametrize(
    ("assessed", "paid", "text"),
    [
        ("60.00", "60.00", "Assessed loss of ¥60.00"),
        ("0", "0.00", "Assessed loss of ¥0.00"),
        ("198.99", "198.99", "Assessed loss of ¥198.99"),
        ("199.00", "199.00", "Assessed loss of ¥199.00"),
        ("199.01", "199.00", "Assessed loss of ¥199.01, limited to the ¥199.00 paid for the goods"),
        (None, "199.00", "No loss assessed yet: at most the ¥199.00 paid for the goods"),
    ],
)
def test_after_sales_pays_the_assessed_loss_up_to_the_base(assessed, paid, text):
    (line,) = award("after_sales", assessed_loss=None if assessed is None else D(assessed))
    assert (line.category, line.rule, line.amount, line.capped) == (
        "compensation",
        "after_sales.loss",
        D(paid),
        False,
    )
    assert explained(line) == text


def test_after_sales_limit_is_the_base_after_refunds():
    (line,) = award("after_sales", refunded="150.00", assessed_loss=D("60.00"))
    assert line.amount == D("49.00")


def test_description_mismatch_pays_the_base_and_shipping_both_ways():
    lines = award(
        "description_mismatch", refunded="9.00", postage="12.00", return_shipping=D("15.50")
    )
    assert items(lines) == [
        ("refund", "description_mismatch.refund", D("190.00"), False),
        ("shipping", "description_mismatch.shipping", D("27.50"), False),
    ]
    assert explained(lines[1]) == "¥12.00 postage to the consumer + ¥15.50 to send the goods back"


def test_description_mismatch_without_postage_keeps_a_zero_shipping_line():
    lines = award("description_mismatch")
    assert items(lines)[1] == ("shipping", "description_mismatch.shipping", D("0.00"), False)


# --- false advertising and price fraud ---------------------------------------------------


@pytest.mark.parametrize("kind", ["false_advertising", "price_fraud"])
@pytest.mark.parametrize(
    ("goods", "refunded", "compensation"),
    [
        ("166.67", "0", "500.01"),
        ("166.66", "0", "500.00"),  # 3 × = 499.98
        ("166.6666", "0", "500.00"),  # 499.9998 is below the minimum
        ("166.6667", "0", "500.00"),  # 500.0001 rounds to the minimum
        ("166.6684", "0", "500.01"),  # 500.0052 rounds half up once
        ("1000.00", "0", "3000.00"),
        ("1000.00", "800.00", "600.00"),
        ("1000.00", "900.00", "500.00"),
        ("10.00", "10.00", "500.00"),
    ],
)
def test_false_advertising_pays_three_times_at_least_500(kind, goods, refunded, compensation):
    lines = award(kind, goods, refunded=refunded)
    base = max(D(goods) - D(refunded), D(0)).quantize(D("0.01"))
    assert items(lines) == [
        ("refund", f"{kind}.refund", base, False),
        ("compensation", f"{kind}.multiple", D(compensation), False),
    ]


def test_false_advertising_explains_the_minimum():
    lines = award("false_advertising", "166.66")
    assert explained(lines[1]) == "3 × ¥166.66 = ¥499.98, raised to the ¥500.00 minimum"
    assert explained(award("price_fraud", "200.00")[1]) == "3 × ¥200.00"


# --- late shipping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("goods", "paid"),
    [
        ("0.05", "5.00"),
        ("16.66", "5.00"),  # 4.998: the minimum
        ("16.67", "5.00"),  # 5.001
        ("16.69", "5.01"),  # 5.007
        ("100.00", "30.00"),
        ("100.15", "30.05"),  # 30.045 rounds half up
        ("1666.63", "499.99"),  # 499.989
        ("1666.65", "500.00"),  # 499.995 rounds half up
        ("1666.67", "500.00"),  # 500.001: the maximum
        ("100000.00", "500.00"),
    ],
)
def test_late_shipping_pays_30_percent_between_5_and_500(goods, paid):
    assert items(award("late_shipping", goods)) == [
        ("compensation", "late_shipping.rate", D(paid), False)
    ]


@pytest.mark.parametrize(
    ("goods", "paid"),
    [("0.05", "0.02"), ("0.15", "0.05"), ("0.01", "0.00")],  # 0.015, 0.045, 0.003
)
def test_late_shipping_rounds_half_up_to_the_fen(goods, paid):
    rules = Rules(late_ship_minimum=D("0"))
    assert award("late_shipping", goods, rules=rules)[0].amount == D(paid)


def test_late_shipping_rounds_once_not_step_by_step():
    rules = Rules(late_ship_rate=D("0.305449"))
    # 30.5449 → 30.54; rounding to three places first would make it 30.545 → 30.55.
    assert award("late_shipping", "100.00", rules=rules)[0].amount == D("30.54")


def test_late_shipping_uses_the_base_after_refunds():
    assert award("late_shipping", "200.00", refunded="100.00")[0].amount == D("30.00")
    assert award("late_shipping", "200.00", refunded="200.00")[0].amount == D("5.00")


@pytest.mark.parametrize(
    ("goods", "text"),
    [
        ("100.00", "30% of ¥100.00"),
        ("16.66", "30% of ¥16.66 = ¥4.998, raised to the ¥5.00 minimum"),
        ("1666.67", "30% of ¥1,666.67 = ¥500.001, limited to the ¥500.00 maximum"),
    ],
)
def test_late_shipping_explains_its_limits(goods, text):
    assert explained(award("late_shipping", goods)[0]) == text


@pytest.mark.parametrize(
    ("goods", "already", "paid"),
    [
        ("1000.00", "0", "300.00"),
        ("1000.00", "200.00", "300.00"),  # exactly reaches the shared ¥500
        ("1000.00", "200.01", "299.99"),
        ("1000.00", "450.00", "50.00"),
        ("1000.00", "499.99", "0.01"),
        ("1000.00", "500.00", "0.00"),
        ("1000.00", "650.00", "0.00"),
        ("10.00", "495.00", "5.00"),
        ("10.00", "496.00", "4.00"),  # the shared cap beats the ¥5 minimum
        ("5000.00", "0.01", "499.99"),
    ],
)
def test_late_shipping_orders_paid_within_24h_share_one_500_cap(goods, already, paid):
    (line,) = award("late_shipping", goods, late_ship_already_awarded=D(already))
    assert line.amount == D(paid)
    assert line.rule == "late_shipping.rate"


def test_late_shipping_explains_the_shared_cap():
    (line,) = award("late_shipping", "1000.00", late_ship_already_awarded=D("450.00"))
    assert explained(line) == (
        "30% of ¥1,000.00 comes to ¥300.00, but orders paid within 24 hours of each other "
        "share one ¥500.00 limit, and other complaints already count ¥450.00 of it"
    )


# --- totals -----------------------------------------------------------------------------


def test_total_sums_the_lines_or_only_the_capped_ones():
    lines = award("counterfeit", available_for_multiple=D("300.00"))
    assert c.total(lines) == D("499.00")
    assert c.total(lines, capped=True) == D("300.00")
    assert c.total(lines, capped=False) == D("199.00")
    assert c.total([]) == D("0.00")


# --- filing windows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "days"),
    [
        ("counterfeit", 90),
        ("after_sales", 15),
        ("description_mismatch", 15),
        ("false_advertising", 15),
        ("price_fraud", 15),
    ],
)
def test_complaints_close_n_days_after_completion(kind, days):
    order = facts(shipped_at=PAID, delivered_at=PAID, completed_at=COMPLETED)
    closes_at = COMPLETED + timedelta(days=days)
    assert c.filing_window(kind, order, DEFAULT_RULES) == (PAID, closes_at)
    assert reason(kind, order, PAID) is None
    assert reason(kind, order, closes_at - SECOND) is None
    closed = (
        f"This complaint could be filed up to {days} days after the order completed, "
        f"until {closes_at.astimezone(CHINA):%-d %b %Y, %H:%M}."
    )
    assert reason(kind, order, closes_at) == closed
    assert reason(kind, order, closes_at + SECOND) == closed


@pytest.mark.parametrize(
    "kind", ["counterfeit", "after_sales", "description_mismatch", "false_advertising"]
)
def test_an_uncompleted_order_can_be_complained_about_at_any_time(kind):
    order = facts(shipped_at=PAID, delivered_at=PAID)
    assert c.filing_window(kind, order, DEFAULT_RULES) == (PAID, None)
    assert reason(kind, order, PAID + timedelta(days=400)) is None


def test_a_complaint_cannot_be_filed_before_the_order_was_paid():
    assert reason("counterfeit", facts(), PAID - SECOND) == (
        "This complaint can be filed from 1 Nov 2026, 18:00."
    )


def test_windows_follow_the_rules_in_force_at_payment():
    order = facts(completed_at=COMPLETED)
    rules = Rules(counterfeit_window_days=30)
    closes_at = COMPLETED + timedelta(days=30)
    assert c.filing_window("counterfeit", order, rules) == (PAID, closes_at)
    assert c.check_filing("counterfeit", order, rules, closes_at - SECOND) is None
    assert c.check_filing("counterfeit", order, rules, closes_at) is not None


# --- late shipping window ---------------------------------------------------------------

DEADLINE = PAID + timedelta(hours=48)


def test_without_a_promise_the_ship_deadline_is_48h_after_payment():
    assert c.ship_deadline(facts(), DEFAULT_RULES) == DEADLINE
    assert c.ship_deadline(facts(), Rules(late_ship_grace_hours=72)) == PAID + timedelta(hours=72)


def test_unshipped_order_can_be_complained_about_from_the_deadline():
    order = facts()
    assert c.filing_window("late_shipping", order, DEFAULT_RULES) == (DEADLINE, None)
    assert reason("late_shipping", order, DEADLINE - SECOND) == (
        "This complaint can be filed from 3 Nov 2026, 18:00."
    )
    assert reason("late_shipping", order, DEADLINE) is None
    assert reason("late_shipping", order, DEADLINE + SECOND) is None


def test_a_promised_ship_by_time_replaces_the_48h():
    promised = PAID + timedelta(hours=96)
    order = facts(ship_by=promised)
    assert reason("late_shipping", order, promised - SECOND) is not None
    assert reason("late_shipping", order, promised) is None
    earlier = facts(ship_by=PAID + timedelta(hours=12))
    assert reason("late_shipping", earlier, PAID + timedelta(hours=12)) is None


def test_shipping_before_the_deadline_is_on_time():
    order = facts(shipped_at=DEADLINE - SECOND)
    assert reason("late_shipping", order, DEADLINE + timedelta(days=1)) == (
        "The order was shipped on time: at 3 Nov 2026, 17:59, "
        "before the 3 Nov 2026, 18:00 deadline."
    )


@pytest.mark.parametrize("shipped_at", [DEADLINE, DEADLINE + SECOND])
def test_shipping_at_or_after_the_deadline_is_late(shipped_at):
    order = facts(shipped_at=shipped_at)
    assert reason("late_shipping", order, shipped_at) is None


def test_late_shipping_closes_15_days_after_completion():
    order = facts(shipped_at=DEADLINE + timedelta(hours=5), completed_at=COMPLETED)
    closes_at = COMPLETED + timedelta(days=15)
    assert c.filing_window("late_shipping", order, DEFAULT_RULES) == (DEADLINE, closes_at)
    assert reason("late_shipping", order, closes_at - SECOND) is None
    assert reason("late_shipping", order, closes_at) is not None
    assert reason("late_shipping", order, closes_at + SECOND) is not None


# --- seven-day return window ------------------------------------------------------------


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def delivered(at: datetime) -> OrderFacts:
    return facts(shipped_at=PAID, delivered_at=at)


@pytest.mark.parametrize(
    ("delivered_at", "closes_at"),
    [
        (china(2026, 11, 10, 0, 0), china(2026, 11, 18)),
        (china(2026, 11, 10, 23, 59), china(2026, 11, 18)),
        (china(2026, 11, 10, 23, 59, 59), china(2026, 11, 18)),
        (china(2026, 11, 11, 0, 0), china(2026, 11, 19)),
        (china(2026, 11, 11, 0, 1), china(2026, 11, 19)),
        # 16:30 UTC on the 10th is already 00:30 on the 11th in Shanghai.
        (datetime(2026, 11, 10, 16, 30, tzinfo=UTC), china(2026, 11, 19)),
        (datetime(2026, 11, 10, 15, 59, tzinfo=UTC), china(2026, 11, 18)),
    ],
)
def test_return_window_is_168h_from_00_00_shanghai_after_delivery(delivered_at, closes_at):
    order = delivered(delivered_at)
    assert c.filing_window("seven_day_return", order, DEFAULT_RULES) == (delivered_at, closes_at)
    now = closes_at + timedelta(days=30)
    assert reason("seven_day_return", order, now, return_requested_at=delivered_at) is None
    assert reason("seven_day_return", order, now, return_requested_at=closes_at - SECOND) is None
    assert reason("seven_day_return", order, now, return_requested_at=closes_at) is not None
    assert reason("seven_day_return", order, now, return_requested_at=closes_at + SECOND)


def test_delivery_at_23_59_gives_a_day_less_than_at_00_01():
    late_evening = delivered(china(2026, 11, 10, 23, 59))
    just_after_midnight = delivered(china(2026, 11, 11, 0, 1))
    requested = china(2026, 11, 18, 0, 0)
    now = requested + timedelta(days=2)
    assert reason("seven_day_return", late_evening, now, return_requested_at=requested) == (
        "A return must be requested within 168 hours from 00:00 of the day after delivery, "
        "before 18 Nov 2026, 00:00; this one was requested at 18 Nov 2026, 00:00."
    )
    assert (
        reason("seven_day_return", just_after_midnight, now, return_requested_at=requested) is None
    )


def test_return_window_follows_the_rules_in_force_at_payment():
    order = delivered(china(2026, 11, 10, 15, 0))
    rules = Rules(return_window_hours=360)
    assert c.filing_window("seven_day_return", order, rules)[1] == china(2026, 11, 26)


@pytest.mark.parametrize(
    ("order", "requested_at", "text"),
    [
        (facts(), china(2026, 11, 5), "The order has not been delivered yet."),
        (delivered(china(2026, 11, 10, 12)), None, "Say when the return was requested."),
        (
            delivered(china(2026, 11, 10, 12)),
            china(2026, 11, 12) + SECOND,
            "The return cannot have been requested in the future.",
        ),
        (
            delivered(china(2026, 11, 10, 12)),
            china(2026, 11, 10, 12) - SECOND,
            "The return was requested at 10 Nov 2026, 11:59, "
            "before delivery at 10 Nov 2026, 12:00.",
        ),
    ],
)
def test_return_complaints_need_a_request_after_delivery(order, requested_at, text):
    now = china(2026, 11, 12)
    assert reason("seven_day_return", order, now, return_requested_at=requested_at) == text


def test_an_undelivered_order_has_no_return_window_yet():
    assert c.filing_window("seven_day_return", facts(), DEFAULT_RULES) is None


# --- properties -------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False)
positive_money = st.decimals(min_value=D("0.01"), max_value=10_000_000, places=2)
maybe_money = st.none() | money


@st.composite
def orders(draw):
    goods = draw(positive_money)
    refunded = draw(st.decimals(min_value=0, max_value=goods, places=2))
    return facts(goods_amount=goods, refunded_amount=refunded, postage=draw(money))


@given(
    kind=st.sampled_from(sorted(c.KINDS)),
    order=orders(),
    return_shipping=money,
    assessed_loss=maybe_money,
    already=money,
    available=maybe_money,
)
def test_awards_are_never_negative_and_always_in_fen(
    kind, order, return_shipping, assessed_loss, already, available
):
    lines = c.suggest_award(
        kind,
        order,
        DEFAULT_RULES,
        return_shipping=return_shipping,
        assessed_loss=assessed_loss,
        late_ship_already_awarded=already,
        available_for_multiple=available,
    )
    base = c.base_amount(order)
    assert lines
    assert c.total(lines) >= 0
    for line in lines:
        assert line.amount >= 0
        assert line.amount.as_tuple().exponent == -2
        assert line.category in {"refund", "compensation", "shipping", "other"}
        assert line.rule.startswith(f"{kind}.")
        if line.category == "refund":
            assert line.amount <= base
        if line.capped and available is not None:
            assert line.amount <= available
    if kind == "after_sales":
        assert lines[0].amount <= base
    if kind == "late_shipping":
        assert lines[0].amount <= max(D("500") - already, D("0"))


@given(order=orders(), split=st.decimals(min_value=0, max_value=1, places=2))
def test_a_late_shipping_group_never_gets_more_than_500(order, split):
    first = c.suggest_award("late_shipping", order, DEFAULT_RULES)[0].amount
    second = c.suggest_award(
        "late_shipping", order, DEFAULT_RULES, late_ship_already_awarded=first
    )[0].amount
    third = c.suggest_award(
        "late_shipping", order, DEFAULT_RULES, late_ship_already_awarded=first + second
    )[0].amount
    assert first + second + third <= D("500")


@given(
    delivered_at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    )
)
def test_return_windows_end_at_shanghai_midnight_7_to_8_days_after_delivery(delivered_at):
    closes_at = c.return_window_closes_at(delivered_at, DEFAULT_RULES)
    assert closes_at.astimezone(CHINA).time() == datetime.min.time()
    assert timedelta(days=7) < closes_at - delivered_at <= timedelta(days=8)
