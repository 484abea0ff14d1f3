"""The consumer chooses where a payout goes, on the complaint page: a payout made before
they chose waits for their account (reminded daily, then sent to the login's Alipay after
7 days, and told so), the account changes until the money is sent, and the page follows
the money: waiting, queued, sent with its reference and date, failed and sent again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deposits import services as ledger
from deposits.models import Disbursement, PayoutAccount
from disputes import services
from disputes.deadlines import process_awaiting_payouts
from disputes.models import Notification
from disputes.notifications import render
from outbox.models import OutboundMessage
from tests.disputes.test_appeals import award
from tests.disputes.test_review import decide, reload, reviewer_user, senior_user, under_review
from tests.factories import ConsumerFactory, FinanceUserFactory

pytestmark = pytest.mark.django_db

CARD = "6222021234567890128"
OTHER_CARD = "6217000000001234560"
DAY = timedelta(days=1)
CARD_FORM = {
    "saved": "another",
    "method": "bank",
    "bank_name": "招商银行",
    "holder_name": "李娜",
    "card_number": "6222 0212 3456 7890 128",
    "confirm": "on",
}


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def reviewing(complaint, store, consumer):
    under_review(complaint, store, consumer, reviewer := reviewer_user())
    complaint.reviewer = reviewer
    return complaint


@pytest.fixture
def paid(reviewing):
    """Upheld and paid from the deposit (¥209) before the consumer chose an account."""
    decide(reviewing, reviewing.reviewer)
    return reviewing


def payout_of(complaint) -> Disbursement:
    return Disbursement.objects.get(reference=complaint.ledger_reference, payee_kind="consumer")


def page_of(client, complaint) -> str:
    return client.get(reverse("disputes:complaint", args=[complaint.number])).content.decode()


def choose(client, complaint, data=None, **changes):
    return client.post(
        reverse("disputes:consumer_payout_account", args=[complaint.number]),
        {**(data or CARD_FORM), **changes},
    )


def events(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("event", flat=True))


# --- waiting for the account ----------------------------------------------------------------


def test_a_payout_made_before_the_consumer_chose_waits_for_their_account(paid, consumer):
    payout = payout_of(paid)
    assert (payout.status, payout.amount) == ("awaiting_account", Decimal("209.00"))
    # 7 days (the deadline policy's payout_account_days) from the decision's moment.
    assert 7 * DAY - timedelta(seconds=5) < payout.account_due_at - payout.created_at <= 7 * DAY
    needed = Notification.objects.get(user=consumer, event="payout_account_needed")
    assert needed.url.endswith("#payout")
    assert "¥209.00" in render(needed) and "Alipay account of your login" in render(needed)


def test_an_account_chosen_during_review_receives_the_payout_at_once(client, reviewing, consumer):
    client.force_login(consumer)
    choose(client, reviewing)
    decide(reviewing, reviewing.reviewer)
    payout = payout_of(reviewing)
    assert (payout.status, payout.method, payout.payee_account_masked) == (
        "pending",
        "bank",
        "**** 0128",
    )
    assert payout.destination.number() == CARD
    assert "payout_account_needed" not in events(consumer)


def test_choosing_an_account_sends_a_waiting_payout_to_finance(client, paid, consumer):
    client.force_login(consumer)
    response = choose(client, paid)
    assert response.status_code == 302 and response.url.endswith("#payout")
    payout = payout_of(paid)
    assert (payout.status, payout.payee_bank, payout.payee_name) == ("pending", "招商银行", "李娜")
    assert reload(paid).payout_destination == PayoutAccount.objects.get()
    ledger.mark_disbursement_sent(
        disbursement=payout, external_reference="BANK-77", actor=FinanceUserFactory()
    )


def test_the_account_changes_until_the_payout_is_sent_and_is_read_only_after(
    client, paid, consumer
):
    client.force_login(consumer)
    choose(client, paid)
    choose(client, paid, method="alipay", alipay_account="13800138000")
    payout = payout_of(paid)
    assert (payout.method, payout.payee_account_masked) == ("alipay", "138****8000")
    ledger.mark_disbursement_sent(
        disbursement=payout, external_reference="AP-1", actor=FinanceUserFactory()
    )

    refused = choose(client, paid)

    assert "Your payout was sent already" in refused.content.decode()
    assert payout_of(paid).payee_account_masked == "138****8000"
    page = page_of(client, paid)
    assert "The payout was sent: its account can no longer change." in page
    assert 'name="card_number"' not in page


def test_a_saved_account_is_offered_again_on_the_next_complaint(client, paid, consumer, file):
    client.force_login(consumer)
    choose(client, paid)
    saved = PayoutAccount.objects.get()
    other = file(kind="false_advertising", claimed_amount=Decimal("199.00"))
    services.refuse_claim(complaint=other, actor=paid.merchant.members.first().user, reason="否")
    services.escalate_complaint(complaint=other, actor=consumer)
    assert "Bank card · 招商银行 · **** 0128" in page_of(client, other)

    choose(client, other, {"saved": str(saved.pk), "confirm": "on"})

    assert reload(other).payout_destination == saved
    assert PayoutAccount.objects.count() == 1


def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(client, paid, consumer):
    client.force_login(consumer)
    response = choose(client, paid, card_number="6222021234567890129", confirm="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "This card number is not valid: check the digits." in page
    assert "Tick the box to confirm the account." in page
    assert response["Cache-Control"].startswith("max-age=0")  # never kept by a cache
    assert not PayoutAccount.objects.exists()
    assert payout_of(paid).status == "awaiting_account"


def test_another_consumer_cannot_see_or_choose_the_account(client, paid):
    stranger = ConsumerFactory()
    client.force_login(stranger)
    assert choose(client, paid).status_code == 404
    with pytest.raises(ValidationError):
        services.choose_payout_account(
            complaint=paid,
            actor=stranger,
            method="bank",
            number=CARD,
            bank_name="x",
            holder_name="y",
        )
    assert not PayoutAccount.objects.exists()
    assert payout_of(paid).status == "awaiting_account"


def test_a_complaint_the_platform_will_not_pay_takes_no_account(client, complaint, consumer):
    client.force_login(consumer)
    assert 'name="card_number"' not in page_of(client, complaint)
    refused = choose(client, complaint)
    assert "no payout from the platform to send" in refused.content.decode()
    assert not PayoutAccount.objects.exists()


def test_the_merchant_never_sees_the_consumers_account(client, paid, consumer, store):
    client.force_login(consumer)
    choose(client, paid)
    seller = Client()
    seller.force_login(store.owner)
    page = seller.get(reverse("disputes:seller_complaint", args=[paid.number])).content.decode()
    assert "**** 0128" not in page and CARD not in page
    assert 'id="payout"' not in page


# --- reminders and the fallback ------------------------------------------------------------


def test_the_consumer_is_reminded_once_a_day_while_the_payout_waits(paid, consumer):
    made = payout_of(paid).created_at
    assert process_awaiting_payouts(made + DAY - timedelta(minutes=1)) == 0
    assert process_awaiting_payouts(made + DAY) == 1
    assert process_awaiting_payouts(made + DAY) == 0  # run again, or by another worker
    assert process_awaiting_payouts(made + DAY + timedelta(hours=23)) == 0
    assert process_awaiting_payouts(made + 2 * DAY + timedelta(hours=1)) == 1
    assert events(consumer).count("payout_account_reminder") == 2
    reminder = Notification.objects.filter(event="payout_account_reminder").first()
    assert "Reminder: choose where to receive ¥209.00" in render(reminder)


def test_after_7_days_the_payout_goes_to_the_logins_alipay_and_the_consumer_is_told(
    client, paid, consumer
):
    made = payout_of(paid).created_at
    assert process_awaiting_payouts(made + 7 * DAY) == 1
    payout = payout_of(paid)
    assert (payout.status, payout.method, payout.destination_fell_back) == (
        "pending",
        "alipay",
        True,
    )
    assert payout.destination.number() == "buyer@example.com"
    told = Notification.objects.get(user=consumer, event="payout_account_fallback")
    assert "Alipay account of your login (b***@example.com)" in render(told)
    assert process_awaiting_payouts(made + 8 * DAY) == 0  # no more reminders
    client.force_login(consumer)
    assert "No account was chosen in time" in page_of(client, paid)


def test_no_notification_or_message_holds_an_account_number(client, paid, consumer):
    client.force_login(consumer)
    choose(client, paid)
    payout = payout_of(paid)
    finance = FinanceUserFactory()
    ledger.mark_disbursement_failed(disbursement=payout, reason="账户名不符", actor=finance)
    ledger.retry_disbursement(disbursement=payout, actor=finance)
    process_awaiting_payouts(payout.created_at + 8 * DAY)
    texts = [str(n.params) + render(n) for n in Notification.objects.all()]
    texts += [m.subject + m.body for m in OutboundMessage.objects.all()]
    assert texts
    assert not [text for text in texts if CARD in text or CARD[-8:] in text]


# --- the page follows the money ------------------------------------------------------------


def test_the_complaint_page_follows_the_payout_from_waiting_to_sent(client, paid, consumer):
    client.force_login(consumer)
    waiting = page_of(client, paid)
    assert "Waiting for your account" in waiting
    assert "Choose your payout account" in waiting  # the next step
    assert 'name="card_number"' in waiting
    assert 'aria-current="step">Payout' in waiting

    choose(client, paid)
    queued = page_of(client, paid)
    assert "Queued" in queued and "招商银行 card **** 0128" in queued
    assert CARD not in queued

    payout = payout_of(paid)
    finance = FinanceUserFactory()
    ledger.mark_disbursement_failed(disbursement=payout, reason="账户名不符", actor=finance)
    failed = page_of(client, paid)
    assert "Transfer failed" in failed and "账户名不符" in failed
    assert 'name="card_number"' in failed  # fix the account, finance sends it again

    ledger.retry_disbursement(disbursement=payout, actor=finance)
    assert "Queued again" in page_of(client, paid)
    assert "(attempt 2)" in page_of(client, paid)

    ledger.mark_disbursement_sent(disbursement=payout, external_reference="CMB-2026", actor=finance)
    sent = page_of(client, paid)
    assert "CMB-2026" in sent and "Sent on" in sent
    assert 'aria-current="step">Payout' not in sent


@pytest.mark.parametrize("chosen", [True, False], ids=["chosen", "none chosen"])
def test_a_payout_raised_on_appeal_goes_to_the_chosen_account_or_waits_for_one(
    client, reviewing, consumer, store, chosen
):
    decide(reviewing, reviewing.reviewer, lines=award("100.00"), reduction_reason="部分未证实。")
    if chosen:
        client.force_login(consumer)
        choose(client, reviewing)
    first = payout_of(reviewing)
    if chosen:
        ledger.mark_disbursement_sent(
            disbursement=first, external_reference="CMB-1", actor=FinanceUserFactory()
        )
    services.appeal_complaint(complaint=reviewing, actor=consumer, reason="损失更大。")
    services.respond_to_appeal(complaint=reviewing, actor=store.owner, response="不同意。")
    services.resolve_appeal(
        complaint=reviewing,
        actor=senior_user(),
        outcome="revised_up",
        resolution="全额。",
        lines=award("199.00"),
    )
    raised = Disbursement.objects.exclude(pk=first.pk).get(payee_kind="consumer")
    assert raised.amount == Decimal("99.00")
    if chosen:
        assert (raised.status, raised.payee_account_masked) == ("pending", "**** 0128")
    else:
        assert raised.status == "awaiting_account"
        assert events(consumer).count("payout_account_needed") == 2


# The session and the user; the complaint and its case file (offers, evidence, decisions,
# their lines with their payouts, the evidence relied on, information requests); the
# messages; the consumer's saved payout accounts for the form; the timeline's log and the
# store's members it names; the user's roles and the bell.
PAGE_QUERIES = 16


def test_the_complaint_page_reads_a_fixed_number_of_queries(
    client, paid, consumer, django_assert_max_num_queries
):
    """Whatever the payouts and the saved accounts, the page costs the same queries."""
    client.force_login(consumer)
    url = reverse("disputes:complaint", args=[paid.number])
    client.get(url)  # the policies read once, as a running server has

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for number in ("13800138000", "13900139000", "13700137000"):
        ledger.save_payout_account(owner=consumer, method="alipay", number=number)
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert queries() == few
