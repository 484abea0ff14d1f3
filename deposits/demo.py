"""Demo deposits for seed_demo: funded stores, one short with a notice, one restricted."""

from datetime import datetime, timedelta
from decimal import Decimal

from merchants.models import Merchant

from . import services
from .destinations import Destination
from .policy import required_deposit

# The short store pays in four fifths of its requirement; the restricted one a tenth, and
# then pays a claim ¥1,000 larger than that, which the platform advances as arrears.
SHORT_SHARE = Decimal("0.8")
RESTRICTED_SHARE = Decimal("0.1")
CLAIM_BEYOND_DEPOSIT = Decimal("1000.00")


def seed_deposits(*, merchants: list[Merchant], now: datetime, actor) -> None:
    """Fund every demo store; the second is left short, the third restricted with arrears.

    Idempotent: fixed keys make a second run write nothing more.
    """
    for index, merchant in enumerate(merchants):
        account = services.get_or_open_account(merchant=merchant)
        required = required_deposit(merchant, now)
        share = {1: SHORT_SHARE, 2: RESTRICTED_SHARE}.get(index, Decimal(1))
        amount = (required * share).quantize(Decimal("0.01"))
        if amount > 0:
            services.record_pay_in(
                account=account,
                amount=amount,
                reference=f"DEMO-BANK-{merchant.code}",
                idempotency_key=f"demo-pay-in-{merchant.code}",
                actor=actor,
                memo="Demo pay-in",
            )
        if index == 1:
            services.request_top_up(account=account, now=now, idempotency_key="demo-top-up")
        if index == 2:
            _restrict_with_arrears(account, merchant=merchant, paid_in=amount, now=now, actor=actor)


def _restrict_with_arrears(account, *, merchant, paid_in, now, actor) -> None:
    # A notice dated a top-up period and a day ago has lapsed by `now`.
    services.request_top_up(
        account=account,
        now=now - services.TOP_UP_PERIOD - timedelta(days=1),
        idempotency_key="demo-top-up",
    )
    order = merchant.orders.select_related("consumer").order_by("-paid_at").first()
    payee = order.consumer if order else actor
    services.pay_out(
        account=account,
        reference=f"DEMO-CLAIM-{merchant.code}",
        amount=paid_in + CLAIM_BEYOND_DEPOSIT,
        payee=payee,
        destination=Destination.alipay_login(payee),
        idempotency_key=f"demo-payout-{merchant.code}",
        actor=actor,
        memo="Demo claim paid beyond the deposit",
    )
    services.restrict_lapsed_top_up(account=account, now=now)
