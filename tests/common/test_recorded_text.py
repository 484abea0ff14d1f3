"""Text the platform writes into lasting records is read in the reader's language."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from common.recorded_text import MARK, readable, recorded
from deposits import services as ledger
from deposits.models import LedgerEntry
from tests.factories import DepositAccountFactory, MerchantMemberFactory

OFFERED = gettext_noop("Offered %(amount)s")


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Offered ¥199.00"), ("zh-hans", "提出和解方案：¥199.00")]
)
def test_a_recorded_text_reads_in_the_active_language(language, expected):
    stored = recorded(OFFERED, amount="¥199.00")
    with translation.override(language):
        assert readable(stored) == expected


def test_what_people_typed_and_rows_written_before_read_as_stored():
    assert readable("商品无质量问题") == "商品无质量问题"
    assert readable("The merchant did not answer in time") == "The merchant did not answer in time"
    assert readable("") == "" and readable(None) == ""


def test_a_damaged_record_shows_what_it_holds_rather_than_failing():
    assert readable(MARK + "not json") == "not json"
    assert readable(MARK + '{"params": {}}') == '{"params": {}}'


def test_a_typed_text_never_passes_for_a_recorded_one():
    from disputes.forms import MessageForm

    form = MessageForm({"body": MARK + '{"text": "Offered %(amount)s"}'})
    assert form.is_valid()
    assert not form.cleaned_data["body"].startswith(MARK)


@pytest.mark.django_db
def test_the_store_reads_a_ledger_memo_the_platform_wrote_in_its_own_language(client):
    account = DepositAccountFactory(paid_in=Decimal("1000.00"))
    owner = MerchantMemberFactory(merchant=account.merchant, role="owner").user
    ledger.reimburse(
        account=account,
        amount=Decimal("50.00"),
        reference="TS1",
        idempotency_key="reimburse-1",
        to_merchant_directly=True,
        payee_account="6222021234567890128",
    )
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REIMBURSEMENT)
    assert entry.memo.startswith(MARK)

    client.force_login(owner)
    client.cookies["django_language"] = "en"
    assert (
        "¥50.00 paid to the store directly."
        in client.get(reverse("deposits:seller_deposit")).content.decode()
    )
    response = client.get(reverse("deposits:statement_csv"))
    statement = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "¥50.00 paid to the store directly." in statement
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("deposits:seller_deposit")).content.decode()
    assert MARK not in page and "¥50.00" in page


@pytest.mark.django_db
def test_the_console_ledger_shows_the_memo_in_the_reader_s_language(client):
    from tests.factories import FinanceUserFactory

    account = DepositAccountFactory(paid_in=Decimal("1000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    ledger.reimburse(
        account=account,
        amount=Decimal("50.00"),
        reference="TS1",
        idempotency_key="reimburse-1",
        to_merchant_directly=True,
        payee_account="6222021234567890128",
    )
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REIMBURSEMENT)
    client.force_login(FinanceUserFactory())
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    listing = client.get(reverse("admin:deposits_ledgerentry_changelist"), **english)
    detail = client.get(reverse("admin:deposits_ledgerentry_change", args=[entry.pk]), **english)
    for page in (listing, detail):
        html = page.content.decode()
        assert "¥50.00 paid to the store directly." in html and MARK not in html
