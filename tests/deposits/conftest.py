from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from deposits.models import DepositAccount
from tests.factories import DepositAccountFactory, MerchantMemberFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def now():
    return datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def account(db) -> DepositAccount:
    """A flagship store (R) with an owner who has an e-mail, funded to its ¥50,000."""
    account = DepositAccountFactory(paid_in=Decimal("50000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    account.refresh_from_db()
    return account
