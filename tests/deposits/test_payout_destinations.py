"""Where a payout goes: accounts checked, kept encrypted with keys of their own and shown
masked; a payout without an account waits (finance cannot send it), then goes to the
login's Alipay; the destination changes until the money is sent; the keys rotate."""

import io
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from common import encryption
from deposits import selectors, services
from deposits.destinations import Destination
from deposits.models import Disbursement, PayoutAccount
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    FinanceUserFactory,
    SeniorReviewerFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
CARD = "6222021234567890128"
OTHER_CARD = "6217000000001234560"
WAIT = timedelta(days=7)


@pytest.fixture
def consumer():
    return ConsumerFactory(username="buyer@example.com")


@pytest.fixture
def card_account(consumer) -> PayoutAccount:
    return services.save_payout_account(
        owner=consumer,
        method="bank",
        number="6222 0212 3456 7890 128",
        bank_name="招商银行",
        holder_name="李娜",
    )


def pay(consumer, *, destination=None, key="p", now=None) -> Disbursement:
    now = now or timezone.now()
    return services.pay_out(
        account=DepositAccountFactory(paid_in=D("100000.00")),
        reference=f"complaint:TS{key}",
        amount=D("209.00"),
        payee=consumer,
        destination=destination,
        account_due_at=None if destination else now + WAIT,
        idempotency_key=key,
    ).disbursement


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchall()


def sending(payout) -> str:
    return reverse("admin:deposits_disbursement_sent", args=[payout.pk])


def reload(payout) -> Disbursement:
    return Disbursement.objects.get(pk=payout.pk)


# --- checked, encrypted, masked ------------------------------------------------------------


def test_the_raw_columns_hold_no_plaintext_account_number(consumer, card_account):
    payout = pay(consumer, destination=card_account.destination)
    stored = [
        str(value)
        for table in ("deposits_payoutaccount", "deposits_disbursement")
        for row in raw_rows(table)
        for value in row
    ]
    assert not [value for value in stored if CARD in value or CARD[:12] in value]
    assert card_account.number_encrypted.startswith("gAAAA")  # a Fernet token
    assert payout.payee_account_encrypted.startswith("gAAAA")  # copied, still encrypted
    assert (payout.destination.number(), card_account.destination.number()) == (CARD, CARD)


def test_an_account_is_shown_masked(consumer, card_account):
    alipay = services.save_payout_account(owner=consumer, method="alipay", number="13800138000")
    email = services.save_payout_account(
        owner=consumer, method="alipay", number="Li.Na@Example.com"
    )
    assert card_account.number_masked == "**** 0128"
    assert str(card_account) == "Bank card · 招商银行 · **** 0128"
    assert alipay.number_masked == "138****8000"
    assert email.number_masked == "l***@example.com"
    assert email.destination.number() == "li.na@example.com"


@pytest.mark.parametrize(
    ("method", "number", "bank_name", "holder_name", "field"),
    [
        ("alipay", "not-an-account", "", "", "number"),
        ("alipay", "12345", "", "", "number"),
        ("bank", "6222 0212 3456", "招商银行", "李娜", "number"),  # too short... and Luhn
        ("bank", "62220212345678901234", "招商银行", "李娜", "number"),  # 20 digits
        ("bank", "6222021234567890129", "招商银行", "李娜", "number"),  # a digit mistyped
        ("bank", "6222ABCD34567890128", "招商银行", "李娜", "number"),
        ("bank", CARD, "", "李娜", "bank_name"),
        ("bank", CARD, "招商银行", " ", "holder_name"),
        ("cash", CARD, "", "", "method"),
    ],
)
def test_a_mistyped_account_is_refused_with_the_reason_and_nothing_is_saved(
    consumer, method, number, bank_name, holder_name, field
):
    with pytest.raises(ValidationError) as refused:
        services.save_payout_account(
            owner=consumer,
            method=method,
            number=number,
            bank_name=bank_name,
            holder_name=holder_name,
        )
    assert field in refused.value.error_dict
    assert not PayoutAccount.objects.exists()


def test_the_same_account_typed_again_is_the_one_saved_before(consumer, card_account):
    again = services.save_payout_account(
        owner=consumer, method="bank", number=CARD, bank_name="招商银行", holder_name="李娜"
    )
    other = services.save_payout_account(
        owner=consumer, method="bank", number=OTHER_CARD, bank_name="招商银行", holder_name="李娜"
    )
    assert again == card_account
    assert other != card_account
    assert PayoutAccount.objects.count() == 2


# --- awaiting an account ---------------------------------------------------------------------


def test_a_payout_without_an_account_waits_and_finance_cannot_send_it(consumer):
    payout = pay(consumer)
    assert (payout.status, payout.method, payout.payee_account_masked) == (
        "awaiting_account",
        "",
        "",
    )
    assert payout not in selectors.payouts_to_send()
    assert payout in selectors.payouts_awaiting_account()
    clerk = FinanceUserFactory()
    with pytest.raises(ValidationError) as refused:
        services.mark_disbursement_sent(disbursement=payout, external_reference="AP-1", actor=clerk)
    assert refused.value.code == "awaiting_account"
    assert "has not chosen an account yet" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        services.mark_disbursement_failed(disbursement=payout, reason="x", actor=clerk)
    assert reload(payout).status == "awaiting_account"


def test_choosing_an_account_lets_finance_send_the_payout(consumer, card_account):
    payout = pay(consumer)
    services.set_payout_destination(
        disbursement=payout, destination=card_account.destination, actor=consumer
    )
    payout = reload(payout)
    assert (payout.status, payout.method, payout.payee_bank, payout.payee_name) == (
        "pending",
        "bank",
        "招商银行",
        "李娜",
    )
    assert payout.destination.number() == CARD
    assert payout in selectors.payouts_to_send()


def test_the_destination_changes_until_the_payout_is_sent_and_never_after(consumer, card_account):
    payout = pay(consumer, destination=Destination.alipay_login(consumer))
    services.set_payout_destination(
        disbursement=payout, destination=card_account.destination, actor=consumer
    )
    services.mark_disbursement_sent(
        disbursement=payout, external_reference="BANK-1", actor=FinanceUserFactory()
    )
    with pytest.raises(ValidationError) as refused:
        services.set_payout_destination(
            disbursement=payout, destination=Destination.alipay_login(consumer), actor=consumer
        )
    assert refused.value.code == "already_sent"
    assert reload(payout).destination.number() == CARD


def test_finance_is_refused_when_the_account_changed_after_the_page_was_shown(
    consumer, card_account
):
    payout = pay(consumer, destination=Destination.alipay_login(consumer))
    shown = payout.destination_version
    services.set_payout_destination(
        disbursement=payout, destination=card_account.destination, actor=consumer
    )
    with pytest.raises(ValidationError) as refused:
        services.mark_disbursement_sent(
            disbursement=payout,
            external_reference="AP-1",
            actor=FinanceUserFactory(),
            destination_version=shown,
        )
    assert refused.value.code == "destination_changed"
    assert reload(payout).status == "pending"


def test_after_its_wait_a_payout_goes_to_the_alipay_account_of_the_login(consumer):
    now = timezone.now()
    payout = pay(consumer, now=now)
    assert not services.fall_back_to_login(disbursement=payout, now=now + WAIT - timedelta(1))
    assert services.fall_back_to_login(disbursement=payout, now=now + WAIT)
    assert not services.fall_back_to_login(disbursement=payout, now=now + WAIT)  # once
    payout = reload(payout)
    assert (payout.status, payout.method, payout.destination_fell_back) == (
        "pending",
        "alipay",
        True,
    )
    assert payout.payee_account_masked == "b***@example.com"
    assert payout.destination.number() == "buyer@example.com"


def test_the_payee_is_reminded_at_most_once_a_day_while_the_payout_waits(consumer):
    payout = pay(consumer)
    now, day = payout.created_at, timedelta(days=1)

    def reminded(at) -> bool:
        return services.note_account_reminder(disbursement=payout, now=at)

    assert not reminded(now + timedelta(hours=23))
    assert reminded(now + day)
    assert not reminded(now + day + timedelta(hours=23))
    assert reminded(now + 2 * day + timedelta(hours=1))
    assert payout not in selectors.payouts_to_remind(now + 2 * day + timedelta(hours=2))
    assert payout in selectors.payouts_to_remind(now + 3 * day + timedelta(hours=1))
    assert not reminded(payout.account_due_at)  # the wait is over: it falls back instead


# --- the keys ---------------------------------------------------------------------------


def test_an_old_key_still_decrypts_once_a_new_key_is_put_first(settings, card_account):
    old = settings.PAYOUT_ACCOUNT_KEYS
    settings.PAYOUT_ACCOUNT_KEYS = [Fernet.generate_key().decode(), *old]
    assert card_account.destination.number() == CARD
    newer = Destination.of(method="bank", number=OTHER_CARD)
    settings.PAYOUT_ACCOUNT_KEYS = old
    with pytest.raises(encryption.UndecryptableError):
        newer.number()


def test_the_rotation_command_encrypts_every_number_under_the_new_key(
    settings, consumer, card_account
):
    payout = pay(consumer, destination=card_account.destination)
    waiting = pay(consumer, key="q")  # no account yet: nothing to encrypt
    new_key, old = Fernet.generate_key().decode(), settings.PAYOUT_ACCOUNT_KEYS
    settings.PAYOUT_ACCOUNT_KEYS = [new_key, *old]

    out = io.StringIO()
    call_command("rotate_payout_keys", stdout=out)

    assert "deposits.PayoutAccount: 1" in out.getvalue()
    assert "deposits.Disbursement: 1" in out.getvalue()
    settings.PAYOUT_ACCOUNT_KEYS = [new_key]  # the old key dropped
    assert PayoutAccount.objects.get().destination.number() == CARD
    assert reload(payout).destination.number() == CARD
    assert reload(waiting).payee_account_encrypted == ""


def test_the_rotation_command_names_a_number_no_key_opens_and_rotates_the_rest(
    settings, consumer, card_account
):
    settings.PAYOUT_ACCOUNT_KEYS = [Fernet.generate_key().decode()]
    lost = services.save_payout_account(owner=consumer, method="alipay", number="13800138000")
    settings.PAYOUT_ACCOUNT_KEYS = [Fernet.generate_key().decode(), *settings.PAYOUT_ACCOUNT_KEYS]
    with pytest.raises(CommandError, match=f"deposits.PayoutAccount {card_account.pk}"):
        call_command("rotate_payout_keys")
    assert PayoutAccount.objects.get(pk=lost.pk).destination.number() == "13800138000"


# --- the console ------------------------------------------------------------------------


@pytest.fixture
def sent_to_card(consumer, card_account) -> Disbursement:
    return pay(consumer, destination=card_account.destination)


def test_the_console_list_shows_only_masked_accounts(client, sent_to_card):
    client.force_login(FinanceUserFactory())
    page = client.get(reverse("admin:deposits_disbursement_changelist")).content.decode()
    assert "招商银行 · 李娜 · **** 0128" in page
    assert CARD not in page


def test_only_who_sends_money_reads_the_whole_number_on_the_payout_page(client, sent_to_card):
    url = reverse("admin:deposits_disbursement_change", args=[sent_to_card.pk])
    client.force_login(FinanceUserFactory())
    assert CARD in client.get(url).content.decode()
    assert CARD in client.get(sending(sent_to_card)).content.decode()
    client.force_login(SeniorReviewerFactory())
    page = client.get(url).content.decode()
    assert CARD not in page and "**** 0128" in page
    assert "gAAAA" not in page  # nor the token


def test_a_waiting_payout_page_says_why_it_cannot_be_sent(client, consumer):
    payout = pay(consumer)
    client.cookies["django_language"] = "en"
    client.force_login(FinanceUserFactory())
    url = reverse("admin:deposits_disbursement_change", args=[payout.pk])
    page = client.get(url).content.decode()
    assert "Waiting for the consumer to choose where the money goes." in page
    assert sending(payout) not in page
    refused = client.post(sending(payout), {"external_reference": "AP-1", "destination_version": 0})
    assert "has not chosen an account yet" in refused.content.decode()
    assert reload(payout).status == "awaiting_account"


def test_finance_marking_sent_from_a_page_shown_before_a_change_is_refused(
    client, consumer, card_account
):
    payout = pay(consumer, destination=Destination.alipay_login(consumer))
    client.force_login(FinanceUserFactory())
    url = sending(payout)
    shown = client.get(url).context["form"]["destination_version"].value()
    services.set_payout_destination(
        disbursement=payout, destination=card_account.destination, actor=consumer
    )
    refused = client.post(url, {"external_reference": "AP-1", "destination_version": shown})
    assert refused.status_code == 200
    assert reload(payout).status == "pending"


def test_no_log_line_holds_an_account_number(client, caplog, consumer, card_account):
    caplog.set_level(logging.DEBUG)
    payout = pay(consumer, destination=card_account.destination)
    client.force_login(FinanceUserFactory())
    url = reverse("admin:deposits_disbursement_change", args=[payout.pk])
    client.get(url)
    client.post(
        sending(payout),
        {"external_reference": "BANK-1", "destination_version": payout.destination_version},
    )
    assert reload(payout).status == "sent"
    assert caplog.records
    assert not [r for r in caplog.records if CARD in r.getMessage() or CARD in str(r.__dict__)]
