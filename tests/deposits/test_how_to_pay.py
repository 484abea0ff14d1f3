"""A store told to top up is told how: where to transfer, and the remark that lets finance
match the payment to it."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from deposits import services
from deposits.destinations import Destination
from deposits.models import DepositAccount
from outbox.services import deliver_due
from tests.factories import DepositAccountFactory, MerchantMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYEE = {
    "DEPOSIT_PAYEE_BANK": "招商银行上海分行营业部",
    "DEPOSIT_PAYEE_NAME": "保证金理赔平台运营有限公司",
    "DEPOSIT_PAYEE_ACCOUNT": "1219 0000 0000 0000",
}


def short_store() -> DepositAccount:
    account = DepositAccountFactory(paid_in=Decimal("1000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner", user__email="owner@shop.test")
    services.pay_out(
        account=account,
        reference="TS1",
        amount=Decimal("900.00"),
        payee=UserFactory(),
        destination=Destination.of(method="alipay", number="buyer@example.com"),
        idempotency_key="short",
    )
    return DepositAccount.objects.select_related("merchant").get(pk=account.pk)


@override_settings(**PAYEE)
def test_the_top_up_mail_says_where_to_pay_and_what_to_write(client):
    account = short_store()
    deliver_due()
    [notice] = [m for m in mail.outbox if "top-up" in m.subject.lower() or "补缴" in m.subject]
    assert "1219 0000 0000 0000" in notice.body
    assert account.merchant.code in notice.body


@override_settings(**PAYEE)
def test_the_deposit_page_says_how_to_pay_in(client):
    account = short_store()
    owner = account.merchant.members.get(role="owner").user
    client.force_login(owner)
    page = client.get(reverse("deposits:seller_deposit")).content.decode()
    assert "保证金理赔平台运营有限公司" in page
    assert account.merchant.code in page


def test_without_a_configured_account_the_store_is_pointed_to_its_agreement(client):
    account = short_store()
    client.force_login(account.merchant.members.get(role="owner").user)
    page = client.get(reverse("deposits:seller_deposit"), HTTP_ACCEPT_LANGUAGE="en")
    assert "the deposit account named in your store agreement" in page.content.decode()
