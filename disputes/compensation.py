"""The award calculator: what a complaint pays, and when it can be filed.

Pure: no queries, no models. The caller passes the rules in force when the order was paid,
the order's facts and, for the caps, what only the database knows (the deposit available
to the counterfeit multiple, what other orders of a late-shipping group already got).

Boundaries: an instant that ends a period belongs to what comes after it, as every
deadline of the product acts at ``now >= due_at``. A window is half-open,
``opens_at <= t < closes_at``: a complaint filed at exactly ``closes_at`` is refused, and
a merchant shipping at exactly the ship deadline has shipped late.

Amounts are ``Decimal``; each line is rounded half up to the fen once, after its caps.
Explanations and refusal reasons are lazy translations, so each reader sees them in
their own language.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from common.dates import local_datetime

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The rules count calendar days in China, wherever the server runs.
CHINA = ZoneInfo("Asia/Shanghai")

Text = str | Promise

COUNTERFEIT = "counterfeit"
SEVEN_DAY_RETURN = "seven_day_return"
AFTER_SALES = "after_sales"
DESCRIPTION_MISMATCH = "description_mismatch"
FALSE_ADVERTISING = "false_advertising"
PRICE_FRAUD = "price_fraud"
LATE_SHIPPING = "late_shipping"

KINDS = frozenset(
    {
        COUNTERFEIT,
        SEVEN_DAY_RETURN,
        AFTER_SALES,
        DESCRIPTION_MISMATCH,
        FALSE_ADVERTISING,
        PRICE_FRAUD,
        LATE_SHIPPING,
    }
)

# The kinds whose award starts with a refund of the base.
REFUNDING_KINDS = KINDS - {AFTER_SALES, LATE_SHIPPING}

# Award line categories; the calculator suggests no "other" line, a reviewer may add one.
REFUND = "refund"
COMPENSATION = "compensation"
SHIPPING = "shipping"
OTHER = "other"

# A consumer's late-shipping orders with one merchant paid within this of each other share
# one maximum; the caller finds them and passes what they already got.
LATE_SHIPPING_SHARED_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Rules:
    """The numbers of one effective-dated compensation rule; the defaults are PRODUCT.md's."""

    counterfeit_multiple: Decimal = Decimal("4")
    counterfeit_window_days: int = 90
    return_window_hours: int = 168
    after_sales_window_days: int = 15
    mismatch_window_days: int = 15
    false_ad_multiple: Decimal = Decimal("3")
    false_ad_minimum: Decimal = Decimal("500.00")
    false_ad_window_days: int = 15
    late_ship_rate: Decimal = Decimal("0.30")
    late_ship_minimum: Decimal = Decimal("5.00")
    late_ship_maximum: Decimal = Decimal("500.00")
    late_ship_grace_hours: int = 48
    late_ship_window_days: int = 15
    return_shipping_maximum: Decimal = Decimal("200.00")


DEFAULT_RULES = Rules()


@dataclass(frozen=True, kw_only=True)
class OrderFacts:
    """What the calculator needs of an order. ``ship_by`` is the merchant's promise, if any:
    without one the ship deadline follows from the rules (see ``ship_deadline``)."""

    goods_amount: Decimal
    paid_at: datetime
    postage: Decimal = ZERO
    refunded_amount: Decimal = ZERO
    ship_by: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    completed_at: datetime | None = None

    def __post_init__(self):
        # A naive time would be read in the server's zone and move the 00:00 return rule.
        for name in ("paid_at", "ship_by", "shipped_at", "delivered_at", "completed_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")


def facts_from_order(order) -> OrderFacts:
    """Facts from any object with the attributes of ``merchants.models.Order``."""
    return OrderFacts(
        goods_amount=order.goods_amount,
        postage=order.postage,
        refunded_amount=order.refunded_amount,
        paid_at=order.paid_at,
        ship_by=order.ship_by,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        completed_at=order.completed_at,
    )


@dataclass(frozen=True)
class AwardLine:
    """One itemised line. ``capped`` lines are paid only as far as the deposit allows."""

    category: str
    amount: Decimal
    rule: str
    explanation: Text
    capped: bool = False


# --- text ------------------------------------------------------------------------------


def _interpolate(message: Text, params: dict[str, str]) -> str:
    return message % params


_text = lazy(_interpolate, str)


def _round(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def _yuan(amount: Decimal) -> str:
    """At least two decimals, and every further one an unrounded product has: a line's
    explanation shows ¥4.998 raised to the ¥5.00 minimum, not ¥5.00 raised to ¥5.00."""
    amount = Decimal(amount).normalize()
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(CENT)
    return f"¥{amount:,f}"


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _when(moment: datetime) -> str:
    return local_datetime(moment)


# --- amounts ---------------------------------------------------------------------------


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown complaint kind: {kind!r}")
    return kind


def _not_negative(value: Decimal, name: str) -> Decimal:
    if value < 0:
        raise ValueError(f"{name} cannot be negative")
    return value


def base_amount(facts: OrderFacts) -> Decimal:
    """What was paid for the goods, excluding postage, less refunds already made."""
    return max(facts.goods_amount - facts.refunded_amount, ZERO)


def total(lines: list[AwardLine], *, capped: bool | None = None) -> Decimal:
    """The sum of the lines; ``capped=True`` or ``False`` sums only those lines."""
    return sum((line.amount for line in lines if capped is None or line.capped == capped), ZERO)


def suggest_award(
    kind: str,
    facts: OrderFacts,
    rules: Rules,
    *,
    return_shipping: Decimal = ZERO,
    assessed_loss: Decimal | None = None,
    late_ship_already_awarded: Decimal = ZERO,
    refunded_elsewhere: Decimal = ZERO,
    return_shipping_receipt: bool = True,
    available_for_multiple: Decimal | None = None,
) -> list[AwardLine]:
    """The rule-based award for a complaint of ``kind``, itemised.

    Every line of the kind is returned even when it comes to ¥0.00 (a fully refunded
    order, an exhausted cap), so the reviewer sees each rule applied and why it pays
    nothing. Whether the complaint may be filed at all is ``check_filing``'s question.

    - ``return_shipping``: what the consumer declared paying to send the goods back
      (description mismatch); at most ``rules.return_shipping_maximum`` of it is awarded,
      and none without ``return_shipping_receipt`` (a logistics record or payment voucher
      among the evidence).
    - ``assessed_loss``: the reviewer's assessment (after-sales); without it the base is
      suggested.
    - ``late_ship_already_awarded``: what the late-shipping complaints on the consumer's
      other orders with this merchant paid within ``LATE_SHIPPING_SHARED_WINDOW`` count
      (paid, settled or still reserved); the group together never gets more than
      ``rules.late_ship_maximum``.
    - ``refunded_elsewhere``: what other complaints on the same order count as refunds
      (paid, settled or still reserved); the refunds of one order never exceed what was
      paid for the goods.
    - ``available_for_multiple``: the deposit available to the counterfeit multiple after
      the refund; ``None`` leaves it uncapped here. The line is ``capped`` either way,
      since the payout caps it again with the deposit as it is then.
    """
    _known(kind)
    base = base_amount(facts)
    if kind == LATE_SHIPPING:
        already = _not_negative(late_ship_already_awarded, "late_ship_already_awarded")
        return [_late_shipping_line(base, rules, already)]
    if kind == AFTER_SALES:
        if assessed_loss is not None:
            _not_negative(assessed_loss, "assessed_loss")
        return [_after_sales_line(base, assessed_loss)]
    elsewhere = _not_negative(refunded_elsewhere, "refunded_elsewhere")
    lines = [_refund_line(kind, facts, base, elsewhere)]
    if kind == COUNTERFEIT:
        if available_for_multiple is not None:
            _not_negative(available_for_multiple, "available_for_multiple")
        lines.append(_counterfeit_line(base, rules, available_for_multiple))
    elif kind == DESCRIPTION_MISMATCH:
        declared = _not_negative(return_shipping, "return_shipping")
        lines.append(_shipping_line(facts, rules, declared, receipt=return_shipping_receipt))
    elif kind in (FALSE_ADVERTISING, PRICE_FRAUD):
        lines.append(_false_advertising_line(kind, base, rules))
    return lines


def _refund_line(kind: str, facts: OrderFacts, base: Decimal, elsewhere: Decimal) -> AwardLine:
    if facts.refunded_amount:
        explanation = _text(
            _("%(goods)s paid for the goods, less %(refunded)s already refunded"),
            {"goods": _yuan(facts.goods_amount), "refunded": _yuan(facts.refunded_amount)},
        )
    else:
        explanation = _text(_("%(goods)s paid for the goods"), {"goods": _yuan(facts.goods_amount)})
    amount = base
    if elsewhere:
        amount = max(base - elsewhere, ZERO)
        explanation = _text(
            _("%(paid)s, less %(elsewhere)s that other complaints on this order refund or claim"),
            {"paid": explanation, "elsewhere": _yuan(elsewhere)},
        )
    return AwardLine(REFUND, _round(amount), f"{kind}.refund", explanation)


def _counterfeit_line(base: Decimal, rules: Rules, available: Decimal | None) -> AwardLine:
    amount = rules.counterfeit_multiple * base
    params = {"multiple": _number(rules.counterfeit_multiple), "base": _yuan(base)}
    if available is not None and available < amount:
        amount = available
        explanation = _text(
            _("%(multiple)s × %(base)s, capped at the %(available)s available"),
            {**params, "available": _yuan(available)},
        )
    else:
        explanation = _text(_("%(multiple)s × %(base)s"), params)
    return AwardLine(COMPENSATION, _round(amount), "counterfeit.multiple", explanation, True)


def _after_sales_line(base: Decimal, assessed_loss: Decimal | None) -> AwardLine:
    if assessed_loss is None:
        amount = base
        explanation = _text(
            _("No loss assessed yet: at most the %(base)s paid for the goods"),
            {"base": _yuan(base)},
        )
    elif assessed_loss > base:
        amount = base
        explanation = _text(
            _("Assessed loss of %(loss)s, limited to the %(base)s paid for the goods"),
            {"loss": _yuan(assessed_loss), "base": _yuan(base)},
        )
    else:
        amount = assessed_loss
        explanation = _text(_("Assessed loss of %(loss)s"), {"loss": _yuan(assessed_loss)})
    return AwardLine(COMPENSATION, _round(amount), "after_sales.loss", explanation)


def _shipping_line(
    facts: OrderFacts, rules: Rules, declared: Decimal, *, receipt: bool
) -> AwardLine:
    params = {"postage": _yuan(facts.postage), "return": _yuan(declared)}
    if declared and not receipt:
        allowed = ZERO
        explanation = _text(
            _(
                "%(postage)s postage to the consumer; the %(return)s declared to send the goods "
                "back needs a logistics record or payment voucher among the evidence"
            ),
            params,
        )
    elif declared > rules.return_shipping_maximum:
        allowed = rules.return_shipping_maximum
        explanation = _text(
            _(
                "%(postage)s postage to the consumer + %(maximum)s to send the goods back "
                "(the most the rules allow of the %(return)s declared)"
            ),
            {**params, "maximum": _yuan(allowed)},
        )
    else:
        allowed = declared
        explanation = _text(
            _("%(postage)s postage to the consumer + %(return)s to send the goods back"), params
        )
    return AwardLine(
        SHIPPING,
        _round(facts.postage + allowed),
        "description_mismatch.shipping",
        explanation,
    )


def _false_advertising_line(kind: str, base: Decimal, rules: Rules) -> AwardLine:
    amount = rules.false_ad_multiple * base
    params = {"multiple": _number(rules.false_ad_multiple), "base": _yuan(base)}
    if amount < rules.false_ad_minimum:
        explanation = _text(
            _("%(multiple)s × %(base)s = %(product)s, raised to the %(minimum)s minimum"),
            {**params, "product": _yuan(amount), "minimum": _yuan(rules.false_ad_minimum)},
        )
        amount = rules.false_ad_minimum
    else:
        explanation = _text(_("%(multiple)s × %(base)s"), params)
    return AwardLine(COMPENSATION, _round(amount), f"{kind}.multiple", explanation)


def _late_shipping_line(base: Decimal, rules: Rules, already: Decimal) -> AwardLine:
    product = rules.late_ship_rate * base
    params = {"rate": f"{_number(rules.late_ship_rate * 100)}%", "base": _yuan(base)}
    if product < rules.late_ship_minimum:
        amount = rules.late_ship_minimum
        explanation = _text(
            _("%(rate)s of %(base)s = %(product)s, raised to the %(minimum)s minimum"),
            {**params, "product": _yuan(product), "minimum": _yuan(amount)},
        )
    elif product > rules.late_ship_maximum:
        amount = rules.late_ship_maximum
        explanation = _text(
            _("%(rate)s of %(base)s = %(product)s, limited to the %(maximum)s maximum"),
            {**params, "product": _yuan(product), "maximum": _yuan(amount)},
        )
    else:
        amount = product
        explanation = _text(_("%(rate)s of %(base)s"), params)
    remaining = max(rules.late_ship_maximum - already, ZERO)
    if amount > remaining:
        explanation = _text(
            _(
                "%(rate)s of %(base)s comes to %(due)s, but orders paid within %(hours)s hours "
                "of each other share one %(maximum)s limit, and other complaints already count "
                "%(already)s of it"
            ),
            {
                **params,
                "due": _yuan(amount),
                "hours": str(LATE_SHIPPING_SHARED_WINDOW // timedelta(hours=1)),
                "maximum": _yuan(rules.late_ship_maximum),
                "already": _yuan(already),
            },
        )
        amount = remaining
    return AwardLine(COMPENSATION, _round(amount), "late_shipping.rate", explanation)


def raised_on_appeal(explanation: Text, *, before: Decimal, after: Decimal) -> Text:
    """The explanation of the difference an appeal pays on one line."""
    return _text(
        _("Raised on appeal to %(after)s, of which %(before)s was paid before: %(explanation)s"),
        {"after": _yuan(after), "before": _yuan(before), "explanation": explanation},
    )


# --- filing windows --------------------------------------------------------------------

_WINDOW_DAYS = {
    COUNTERFEIT: "counterfeit_window_days",
    AFTER_SALES: "after_sales_window_days",
    DESCRIPTION_MISMATCH: "mismatch_window_days",
    FALSE_ADVERTISING: "false_ad_window_days",
    PRICE_FRAUD: "false_ad_window_days",
    LATE_SHIPPING: "late_ship_window_days",
}


def ship_deadline(facts: OrderFacts, rules: Rules) -> datetime:
    """The promised ship-by time, or ``rules.late_ship_grace_hours`` after payment."""
    return facts.ship_by or facts.paid_at + timedelta(hours=rules.late_ship_grace_hours)


def return_window_closes_at(delivered_at: datetime, rules: Rules) -> datetime:
    """The end of the 7-day return window: ``rules.return_window_hours`` from 00:00
    (Asia/Shanghai) of the day after delivery."""
    next_day = delivered_at.astimezone(CHINA).date() + timedelta(days=1)
    starts_at = datetime.combine(next_day, time.min, tzinfo=CHINA).astimezone(UTC)
    return starts_at + timedelta(hours=rules.return_window_hours)


def filing_window(
    kind: str, facts: OrderFacts, rules: Rules
) -> tuple[datetime, datetime | None] | None:
    """``(opens_at, closes_at)``, half-open; ``closes_at`` is ``None`` while the order is
    not completed (the "N days after completion" have not started).

    For the 7-day return it is the window the *return request* must fall in, from
    delivery; the complaint itself may be filed later. ``None`` before delivery. For late
    shipping it opens at the ship deadline; the other kinds open at payment.
    """
    if _known(kind) == SEVEN_DAY_RETURN:
        if facts.delivered_at is None:
            return None
        return facts.delivered_at, return_window_closes_at(facts.delivered_at, rules)
    opens_at = ship_deadline(facts, rules) if kind == LATE_SHIPPING else facts.paid_at
    if facts.completed_at is None:
        return opens_at, None
    return opens_at, facts.completed_at + timedelta(days=getattr(rules, _WINDOW_DAYS[kind]))


def check_filing(
    kind: str,
    facts: OrderFacts,
    rules: Rules,
    now: datetime,
    return_requested_at: datetime | None = None,
) -> Text | None:
    """Why a complaint of ``kind`` cannot be filed at ``now``, or ``None`` when it can.

    Windows are half-open (see ``filing_window``). Late shipping needs the ship deadline
    passed with the order unshipped at ``now``, or shipped at or after the deadline. The
    7-day return needs ``return_requested_at``, between delivery and the window's close.
    """
    window = filing_window(kind, facts, rules)
    if kind == SEVEN_DAY_RETURN:
        return _check_return(facts, rules, window, now, return_requested_at)
    opens_at, closes_at = window
    if kind == LATE_SHIPPING and facts.shipped_at is not None and facts.shipped_at < opens_at:
        return _text(
            _(
                "The order was shipped on time: at %(shipped_at)s, before the %(deadline)s "
                "deadline."
            ),
            {"shipped_at": _when(facts.shipped_at), "deadline": _when(opens_at)},
        )
    if now < opens_at:
        return _text(
            _("This complaint can be filed from %(opens_at)s."), {"opens_at": _when(opens_at)}
        )
    if closes_at is not None and now >= closes_at:
        return _text(
            _(
                "This complaint could be filed up to %(days)s days after the order completed, "
                "until %(closes_at)s."
            ),
            {"days": str(getattr(rules, _WINDOW_DAYS[kind])), "closes_at": _when(closes_at)},
        )
    return None


def _check_return(
    facts: OrderFacts,
    rules: Rules,
    window: tuple[datetime, datetime] | None,
    now: datetime,
    requested_at: datetime | None,
) -> Text | None:
    if window is None:
        return _("The order has not been delivered yet.")
    if requested_at is None:
        return _("Say when the return was requested.")
    if requested_at > now:
        return _("The return cannot have been requested in the future.")
    delivered_at, closes_at = window
    if requested_at < delivered_at:
        return _text(
            _("The return was requested at %(requested_at)s, before delivery at %(delivered_at)s."),
            {"requested_at": _when(requested_at), "delivered_at": _when(delivered_at)},
        )
    if requested_at >= closes_at:
        return _text(
            _(
                "A return must be requested within %(hours)s hours from 00:00 of the day after "
                "delivery, before %(closes_at)s; this one was requested at %(requested_at)s."
            ),
            {
                "hours": str(rules.return_window_hours),
                "closes_at": _when(closes_at),
                "requested_at": _when(requested_at),
            },
        )
    return None
