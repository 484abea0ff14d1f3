from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deposits import services
from deposits.destinations import Destination
from deposits.models import Disbursement, LedgerEntry
from merchants.models import Merchant
from tests.deposits.helpers import amounts, snapshot
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    FinanceUserFactory,
    MerchantMemberFactory,
    OrderFactory,
    SeniorReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
NOTHING = D("0")


def pay(account, amount, *, key, reference="TS1", capped=NOTHING, payee=None):
    payee = payee or ConsumerFactory()
    return services.pay_out(
        account=account,
        reference=reference,
        amount=amount,
        capped_amount=capped,
        payee=payee,
        destination=Destination.of(method=Disbursement.Method.ALIPAY, number="138****0000"),
        idempotency_key=key,
    )


def kinds(entries):
    return [entry.kind for entry in entries]


# --- pay-ins ----------------------------------------------------------------------------


def test_pay_in_credits_the_balance_with_one_entry():
    account = DepositAccountFactory()
    result = services.record_pay_in(
        account=account, amount=D("1000.00"), reference="BANK-1", idempotency_key="k1"
    )
    assert amounts(account) == (D("1000.00"), D("0"), D("0"))
    [entry] = result.entries
    assert (entry.kind, entry.balance_delta, entry.balance_after) == (
        "pay_in",
        D("1000"),
        D("1000"),
    )
    assert entry.reference == "BANK-1"


def test_pay_in_settles_arrears_before_crediting_the_balance():
    account = DepositAccountFactory(paid_in=D("1000.00"))
    pay(account, D("3000.00"), key="payout")
    assert amounts(account) == (D("0"), D("0"), D("2000.00"))

    result = services.record_pay_in(
        account=account,
        amount=D("5000.00"),
        kind="top_up",
        reference="BANK-2",
        idempotency_key="k2",
    )

    assert kinds(result.entries) == ["arrears_settlement", "top_up"]
    assert [e.arrears_delta for e in result.entries] == [D("-2000.00"), D("0")]
    assert amounts(account) == (D("3000.00"), D("0"), D("0"))


def test_pay_in_smaller_than_arrears_only_settles_arrears():
    account = DepositAccountFactory(paid_in=D("1000.00"))
    pay(account, D("3000.00"), key="payout")
    result = services.record_pay_in(
        account=account, amount=D("500.00"), reference="BANK-2", idempotency_key="k2"
    )
    assert kinds(result.entries) == ["arrears_settlement"]
    assert amounts(account) == (D("0"), D("0"), D("1500.00"))


def test_top_up_lifts_a_lapsed_top_up_restriction_and_clears_the_notice(account):
    pay(account, D("10000.00"), key="payout")
    assert account.top_up_amount_due == D("10000.00")
    assert services.restrict_lapsed_top_up(account=account, now=account.top_up_due_by)
    assert Merchant.objects.get(pk=account.merchant_id).status == "restricted"

    services.record_pay_in(
        account=account, amount=D("10000.00"), kind="top_up", reference="B", idempotency_key="top"
    )

    account.refresh_from_db()
    assert Merchant.objects.get(pk=account.merchant_id).status == "active"
    assert (account.top_up_amount_due, account.top_up_due_by) == (D("0"), None)
    assert account.restricted_for_top_up_at is None


def test_partial_top_up_keeps_the_restriction_and_lowers_what_is_due(account):
    pay(account, D("10000.00"), key="payout")
    services.restrict_lapsed_top_up(account=account, now=account.top_up_due_by)
    services.record_pay_in(
        account=account, amount=D("4000.00"), kind="top_up", reference="B", idempotency_key="top"
    )
    account.refresh_from_db()
    assert Merchant.objects.get(pk=account.merchant_id).status == "restricted"
    assert account.top_up_amount_due == D("6000.00")


def test_pay_in_does_not_lift_a_restriction_it_did_not_cause(account):
    Merchant.objects.filter(pk=account.merchant_id).update(status="restricted")
    services.record_pay_in(account=account, amount=D("10.00"), reference="B", idempotency_key="k")
    assert Merchant.objects.get(pk=account.merchant_id).status == "restricted"


def test_pay_in_replay_returns_the_first_entries_and_writes_nothing(account):
    first = services.record_pay_in(
        account=account, amount=D("10.00"), reference="B", idempotency_key="k"
    )
    before = snapshot(account)
    again = services.record_pay_in(
        account=account, amount=D("10.00"), reference="B", idempotency_key="k"
    )
    assert [e.pk for e in again.entries] == [e.pk for e in first.entries]
    assert snapshot(account) == before


def test_pay_in_key_reused_with_another_amount_is_refused(account):
    services.record_pay_in(account=account, amount=D("10.00"), reference="B", idempotency_key="k")
    before = snapshot(account)
    with pytest.raises(services.IdempotencyConflict):
        services.record_pay_in(
            account=account, amount=D("11.00"), reference="B", idempotency_key="k"
        )
    assert snapshot(account) == before


def test_pay_in_kind_must_be_a_pay_in_or_a_top_up(account):
    with pytest.raises(ValidationError):
        services.record_pay_in(
            account=account, amount=D("1"), kind="adjustment", reference="B", idempotency_key="k"
        )


BAD_AMOUNTS = [D("0"), D("0.00"), D("-1.00"), D("1.005"), D("NaN"), D("1E+12"), 1.5, "10.00", None]


def _call_with_amount(name, account, amount):
    calls = {
        "record_pay_in": lambda: services.record_pay_in(
            account=account, amount=amount, reference="B", idempotency_key="bad"
        ),
        "hold": lambda: services.hold(
            account=account, amount=amount, reference="TS9", idempotency_key="bad"
        ),
        "pay_out": lambda: pay(account, amount, key="bad"),
        "pay_out_capped": lambda: pay(account, D("1.00"), capped=amount, key="bad"),
        "reimburse": lambda: services.reimburse(
            account=account, amount=amount, reference="TS9", idempotency_key="bad"
        ),
    }
    return calls[name]()


SERVICE_AMOUNTS = [
    (service, amount)
    for service in ["record_pay_in", "hold", "pay_out", "pay_out_capped", "reimburse"]
    for amount in BAD_AMOUNTS
    # A zero capped part is the default: there is simply nothing to cap.
    if not (service == "pay_out_capped" and amount == 0)
]


@pytest.mark.parametrize(("service", "amount"), SERVICE_AMOUNTS, ids=repr)
def test_wrong_amounts_are_refused_with_nothing_written(account, service, amount):
    before = snapshot(account)
    with pytest.raises(ValidationError) as refused:
        _call_with_amount(service, account, amount)
    assert refused.value.messages[0]
    assert snapshot(account) == before


def test_a_missing_idempotency_key_is_refused(account):
    with pytest.raises(ValidationError):
        services.record_pay_in(account=account, amount=D("1"), reference="B", idempotency_key=" ")


# --- holds ------------------------------------------------------------------------------


def test_hold_freezes_part_of_the_balance(account):
    entry = services.hold(
        account=account, amount=D("8000.00"), reference="TS1", idempotency_key="h"
    )
    assert (entry.kind, entry.held_delta, entry.held_after) == ("hold", D("8000"), D("8000"))
    assert amounts(account) == (D("50000.00"), D("8000.00"), D("0"))
    assert account.available == D("42000.00")
    assert services.held_for(account=account, reference="TS1") == D("8000.00")


def test_hold_beyond_what_is_available_is_refused_and_writes_nothing(account):
    services.hold(account=account, amount=D("45000"), reference="TS1", idempotency_key="h1")
    before = snapshot(account)
    with pytest.raises(ValidationError, match=r"5,000\.00"):
        services.hold(account=account, amount=D("5000.01"), reference="TS2", idempotency_key="h2")
    assert snapshot(account) == before


def test_capped_hold_holds_only_what_is_available(account):
    services.hold(account=account, amount=D("45000"), reference="TS1", idempotency_key="h1")
    entry = services.hold(
        account=account,
        amount=D("9000"),
        reference="TS2",
        idempotency_key="h2",
        cap_at_available=True,
    )
    assert entry.held_delta == D("5000.00")
    assert account.available == D("0")


def test_capped_hold_with_nothing_available_returns_none_and_writes_nothing():
    account = DepositAccountFactory()
    before = snapshot(account)
    assert (
        services.hold(
            account=account,
            amount=D("10"),
            reference="TS1",
            idempotency_key="h",
            cap_at_available=True,
        )
        is None
    )
    assert snapshot(account) == before


def test_hold_replay_returns_the_first_entry(account):
    first = services.hold(account=account, amount=D("100"), reference="TS1", idempotency_key="h")
    before = snapshot(account)
    assert (
        services.hold(account=account, amount=D("100"), reference="TS1", idempotency_key="h")
        == first
    )
    assert snapshot(account) == before
    with pytest.raises(services.IdempotencyConflict):
        services.hold(account=account, amount=D("100"), reference="TS2", idempotency_key="h")


def test_release_frees_everything_still_held_for_the_reference(account):
    services.hold(account=account, amount=D("100"), reference="TS1", idempotency_key="h1")
    services.hold(account=account, amount=D("50"), reference="TS1", idempotency_key="h2")
    services.hold(account=account, amount=D("70"), reference="TS2", idempotency_key="h3")
    entry = services.release_hold(account=account, reference="TS1", idempotency_key="r1")
    assert entry.held_delta == D("-150.00")
    assert amounts(account) == (D("50000.00"), D("70.00"), D("0"))
    assert services.held_for(account=account, reference="TS1") == D("0")


def test_release_with_nothing_held_returns_none(account):
    assert services.release_hold(account=account, reference="TS1", idempotency_key="r") is None
    assert not LedgerEntry.objects.filter(kind="release").exists()


def test_release_replay_does_not_release_a_later_hold(account):
    services.hold(account=account, amount=D("100"), reference="TS1", idempotency_key="h1")
    first = services.release_hold(account=account, reference="TS1", idempotency_key="r1")
    services.hold(account=account, amount=D("30"), reference="TS1", idempotency_key="h2")
    assert services.release_hold(account=account, reference="TS1", idempotency_key="r1") == first
    assert services.held_for(account=account, reference="TS1") == D("30.00")


# --- payouts ----------------------------------------------------------------------------


def test_payout_uses_the_hold_first_then_the_free_balance(account):
    services.hold(account=account, amount=D("10000"), reference="TS1", idempotency_key="h")
    result = pay(account, D("12000.00"), key="p")
    assert (result.amount_paid, result.capped_paid, result.advanced) == (D("12000"), D("0"), D("0"))
    [entry] = result.entries
    assert (entry.kind, entry.balance_delta, entry.held_delta) == (
        "claim_payout",
        D("-12000"),
        D("-10000"),
    )
    assert amounts(account) == (D("38000.00"), D("0"), D("0"))
    disbursement = result.disbursement
    assert (disbursement.amount, disbursement.payee_kind, disbursement.status) == (
        D("12000.00"),
        "consumer",
        "pending",
    )
    assert disbursement.ledger_entry == entry


def test_payout_beyond_balance_advances_the_rest_as_arrears(account):
    result = pay(account, D("60000.00"), key="p")
    assert kinds(result.entries) == ["claim_payout", "platform_advance"]
    assert result.advanced == D("10000.00")
    assert result.amount_paid == D("60000.00")
    assert result.disbursement.amount == D("60000.00")
    assert amounts(account) == (D("0"), D("0"), D("10000.00"))


def test_payout_does_not_touch_what_other_claims_hold(account):
    services.hold(account=account, amount=D("45000"), reference="TS2", idempotency_key="h")
    result = pay(account, D("8000.00"), key="p", reference="TS1")
    assert result.advanced == D("3000.00")
    assert amounts(account) == (D("45000.00"), D("45000.00"), D("3000.00"))


def test_capped_part_is_paid_only_up_to_what_is_available_to_the_claim(account):
    services.hold(account=account, amount=D("45000"), reference="TS2", idempotency_key="h2")
    services.hold(account=account, amount=D("2000"), reference="TS1", idempotency_key="h1")
    # After the ¥1,000 refund the claim has ¥1,000 of its hold and ¥3,000 free.
    result = pay(account, D("1000.00"), capped=D("8000.00"), key="p", reference="TS1")
    assert (result.amount_paid, result.capped_paid, result.advanced) == (
        D("5000"),
        D("4000"),
        D("0"),
    )
    assert result.disbursement.amount == D("5000.00")
    assert amounts(account) == (D("45000.00"), D("45000.00"), D("0"))


def test_capped_part_is_not_advanced_when_the_deposit_is_exhausted(account):
    result = pay(account, D("60000.00"), capped=D("240000.00"), key="p")
    assert (result.amount_paid, result.capped_paid, result.advanced) == (
        D("60000"),
        D("0"),
        D("10000"),
    )


def test_payout_releases_what_the_claim_still_holds(account):
    services.hold(account=account, amount=D("10000"), reference="TS1", idempotency_key="h")
    result = pay(account, D("3000.00"), key="p")
    assert kinds(result.entries) == ["claim_payout", "release"]
    assert result.entries[1].held_delta == D("-7000.00")
    assert amounts(account) == (D("47000.00"), D("0"), D("0"))


def test_payout_leaving_the_balance_short_requests_a_top_up_by_email(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        pay(account, D("10000.00"), key="p")
    account.refresh_from_db()
    assert account.top_up_amount_due == D("10000.00")
    assert (
        before + services.TOP_UP_PERIOD
        <= account.top_up_due_by
        <= timezone.now() + services.TOP_UP_PERIOD
    )
    [mail] = mailoutbox
    assert mail.to == [account.merchant.members.get().user.email]
    assert "10,000.00" in mail.body


def test_payout_replay_pays_once_and_returns_the_first_result(account):
    payee = ConsumerFactory()
    first = pay(account, D("60000.00"), capped=D("100"), key="p", payee=payee)
    before = snapshot(account)
    again = pay(account, D("60000.00"), capped=D("100"), key="p", payee=payee)
    assert snapshot(account) == before
    assert again.disbursement == first.disbursement
    assert [e.pk for e in again.entries] == [e.pk for e in first.entries]
    assert (again.amount_paid, again.capped_paid, again.advanced) == (
        first.amount_paid,
        first.capped_paid,
        first.advanced,
    )


def test_payout_key_reused_for_another_amount_is_refused(account):
    payee = ConsumerFactory()
    pay(account, D("100.00"), key="p", payee=payee)
    before = snapshot(account)
    with pytest.raises(services.IdempotencyConflict):
        pay(account, D("200.00"), key="p", payee=payee)
    assert snapshot(account) == before


@pytest.mark.parametrize(
    "changes",
    [{"reference": ""}, {"destination": None}],
    ids=["no reference", "neither an account nor the end of the wait for one"],
)
def test_payout_needs_a_reference_and_an_account_or_a_wait_for_one(account, changes):
    arguments = {
        "account": account,
        "reference": "TS1",
        "amount": D("10"),
        "payee": ConsumerFactory(),
        "destination": Destination.of(method="alipay", number="a@example.com"),
        "idempotency_key": "p",
        **changes,
    }
    before = snapshot(account)
    with pytest.raises(ValidationError):
        services.pay_out(**arguments)
    assert snapshot(account) == before


# --- reimbursement ----------------------------------------------------------------------


def test_reimbursement_cancels_arrears_first_then_credits_the_deposit(account):
    pay(account, D("60000.00"), key="p")
    result = services.reimburse(
        account=account, amount=D("15000.00"), reference="TS1", idempotency_key="r"
    )
    assert kinds(result.entries) == ["arrears_settlement", "reimbursement"]
    assert result.disbursement is None
    assert amounts(account) == (D("5000.00"), D("0"), D("0"))


def test_reimbursement_to_a_store_that_paid_first_goes_to_its_owner(account):
    owner = account.merchant.members.get(role="owner").user
    result = services.reimburse(
        account=account,
        amount=D("3000.00"),
        reference="TS1",
        idempotency_key="r",
        to_merchant_directly=True,
        payee_account="6222 0000",
    )
    assert amounts(account) == (D("50000.00"), D("0"), D("0"))
    assert (result.disbursement.payee, result.disbursement.amount) == (owner, D("3000.00"))
    assert result.disbursement.payee_kind == "merchant"
    assert result.disbursement.ledger_entry == result.entries[0]


def test_reimbursement_replay_returns_the_first_result(account):
    first = services.reimburse(
        account=account,
        amount=D("3"),
        reference="TS1",
        idempotency_key="r",
        to_merchant_directly=True,
    )
    before = snapshot(account)
    again = services.reimburse(
        account=account,
        amount=D("3"),
        reference="TS1",
        idempotency_key="r",
        to_merchant_directly=True,
    )
    assert (again.entries, again.disbursement) == (first.entries, first.disbursement)
    assert snapshot(account) == before


# --- top-up notices ---------------------------------------------------------------------


def test_request_top_up_gives_a_short_store_15_days(
    now, mailoutbox, django_capture_on_commit_callbacks
):
    account = DepositAccountFactory(paid_in=D("20000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        due = services.request_top_up(account=account, now=now)
    assert due == D("30000.00")
    assert account.top_up_due_by == now + timedelta(days=15)
    assert len(mailoutbox) == 1


def test_request_top_up_counts_arrears_in_what_is_due(now):
    account = DepositAccountFactory(paid_in=D("1000.00"))
    pay(account, D("3000.00"), key="p")
    assert services.request_top_up(account=account, now=now) == D("52000.00")


def test_request_top_up_for_a_covered_store_does_nothing(account, now, mailoutbox):
    assert services.request_top_up(account=account, now=now) == D("0")
    account.refresh_from_db()
    assert account.top_up_due_by is None
    assert mailoutbox == []


def test_an_open_notice_keeps_its_deadline(now):
    account = DepositAccountFactory(paid_in=D("20000.00"))
    services.request_top_up(account=account, now=now)
    services.request_top_up(account=account, now=now + timedelta(days=3))
    assert account.top_up_due_by == now + timedelta(days=15)


def test_request_top_up_with_a_used_key_does_nothing(
    now, mailoutbox, django_capture_on_commit_callbacks
):
    account = DepositAccountFactory(paid_in=D("20000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_top_up(account=account, now=now, idempotency_key="policy-2")
        services.request_top_up(account=account, now=now, idempotency_key="policy-2")
    assert len(mailoutbox) == 1


# --- leaving the platform ---------------------------------------------------------------


@pytest.fixture
def closing(account, now):
    services.request_exit(account=account, actor=None, now=now - timedelta(days=30))
    return account


def test_exit_refund_returns_the_deposit_to_the_owner_and_closes_the_store(closing, now):
    finance = FinanceUserFactory()
    result = services.exit_refund(account=closing, actor=finance, idempotency_key="exit", now=now)
    assert kinds(result.entries) == ["exit_refund"]
    assert amounts(closing) == (D("0"), D("0"), D("0"))
    assert result.disbursement.amount == D("50000.00")
    assert result.disbursement.payee == closing.merchant.members.get(role="owner").user
    assert Merchant.objects.get(pk=closing.merchant_id).status == "closed"


def test_exit_refund_keeps_the_arrears(closing, now):
    services.adjust(
        account=closing,
        balance_delta=D("0"),
        arrears_delta=D("2000.00"),
        memo="Advance booked by hand",
        actor=SeniorReviewerFactory(),
        idempotency_key="adj",
    )
    result = services.exit_refund(account=closing, actor=None, idempotency_key="exit", now=now)
    assert kinds(result.entries) == ["arrears_settlement", "exit_refund"]
    assert result.disbursement.amount == D("48000.00")
    assert amounts(closing) == (D("0"), D("0"), D("0"))


def test_exit_refund_replay_returns_the_first_result(closing, now):
    first = services.exit_refund(account=closing, actor=None, idempotency_key="exit", now=now)
    again = services.exit_refund(account=closing, actor=None, idempotency_key="exit", now=now)
    assert again.disbursement == first.disbursement
    assert Disbursement.objects.count() == 1


def refusal(account, now):
    before = snapshot(account)
    with pytest.raises(ValidationError) as refused:
        services.exit_refund(account=account, actor=None, idempotency_key="exit", now=now)
    assert snapshot(account) == before
    return " ".join(refused.value.messages)


def test_exit_refund_waits_30_days_after_the_request(closing, now):
    assert "30 days" in refusal(closing, now - timedelta(seconds=1))


def test_exit_refund_needs_the_store_to_be_closing(account, now):
    assert "not asked to leave" in refusal(account, now)


def test_exit_refund_waits_until_nothing_is_held(closing, now):
    services.hold(account=closing, amount=D("1"), reference="TS1", idempotency_key="h")
    assert "held" in refusal(closing, now)


def test_exit_refund_waits_for_the_claim_window_of_the_last_completed_order(closing, now):
    completed = now - timedelta(days=89)
    OrderFactory(
        merchant=closing.merchant,
        paid_at=completed - timedelta(days=5),
        shipped_at=completed - timedelta(days=4),
        delivered_at=completed - timedelta(days=1),
        completed_at=completed,
    )
    assert "claim window" in refusal(closing, now)
    services.exit_refund(
        account=closing, actor=None, idempotency_key="exit", now=now + timedelta(days=1)
    )


def test_exit_refund_respects_blockers_registered_by_higher_layers(closing, now, monkeypatch):
    monkeypatch.setattr(
        services.leaving, "EXIT_BLOCKERS", [lambda merchant: "A complaint is open."]
    )
    assert "A complaint is open." in refusal(closing, now)


# --- forfeiture and adjustments ---------------------------------------------------------


def test_forfeiture_takes_the_deposit_and_removes_the_store(account):
    result = services.forfeit(account=account, actor=None, idempotency_key="f", memo="Counterfeits")
    assert kinds(result.entries) == ["forfeiture"]
    assert amounts(account) == (D("0"), D("0"), D("0"))
    assert Merchant.objects.get(pk=account.merchant_id).status == "removed"


def test_forfeiture_waits_until_held_claims_are_paid(account):
    services.hold(account=account, amount=D("1"), reference="TS1", idempotency_key="h")
    before = snapshot(account)
    with pytest.raises(ValidationError):
        services.forfeit(account=account, actor=None, idempotency_key="f", memo="Counterfeits")
    assert snapshot(account) == before


def adjust(
    account, actor, *, balance=NOTHING, arrears=NOTHING, memo="Bank fee refunded", key="adj"
):
    return services.adjust(
        account=account,
        balance_delta=balance,
        arrears_delta=arrears,
        memo=memo,
        actor=actor,
        idempotency_key=key,
    )


def test_a_senior_reviewer_adjusts_the_ledger_with_a_memo(account):
    entry = adjust(account, SeniorReviewerFactory(), balance=D("-20.50"))
    assert (entry.kind, entry.memo, entry.balance_after) == (
        "adjustment",
        "Bank fee refunded",
        D("49979.50"),
    )


def test_an_adjustment_that_leaves_the_store_short_opens_a_top_up_notice(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        adjust(account, SeniorReviewerFactory(), balance=D("-1000.00"))
    account.refresh_from_db()
    assert account.top_up_amount_due == D("1000.00")
    assert account.top_up_due_by is not None
    [mail] = mailoutbox
    assert mail.to == [account.merchant.members.get().user.email]
    assert "1,000.00" in mail.body


def test_arrears_added_by_an_adjustment_are_owed_as_a_top_up(account):
    adjust(account, SeniorReviewerFactory(), arrears=D("300.00"))
    account.refresh_from_db()
    assert account.top_up_amount_due == D("300.00")


def test_an_adjustment_that_makes_the_store_whole_again_closes_its_notice(account):
    senior = SeniorReviewerFactory()
    adjust(account, senior, balance=D("-1000.00"), key="out")
    adjust(account, senior, balance=D("1000.00"), key="back")
    account.refresh_from_db()
    assert (account.top_up_amount_due, account.top_up_due_by) == (D("0"), None)


def test_only_senior_reviewers_adjust_the_ledger(account):
    with pytest.raises(PermissionDenied):
        adjust(account, FinanceUserFactory(), balance=D("1"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"memo": " "}, "required"),
        ({"balance": D("0"), "arrears": D("0")}, "must change"),
        ({"balance": D("0.001")}, "two decimals"),
        ({"balance": D("-50000.01")}, "below what is held"),
        ({"arrears": D("-1")}, "below zero"),
    ],
)
def test_adjustments_that_break_the_ledger_are_refused(account, changes, expected):
    before = snapshot(account)
    with pytest.raises(ValidationError, match=expected):
        adjust(account, SeniorReviewerFactory(), **{"balance": D("1"), **changes})
    assert snapshot(account) == before


# --- disbursements ----------------------------------------------------------------------


@pytest.fixture
def finance():
    return FinanceUserFactory()


@pytest.fixture
def disbursement(account):
    return pay(account, D("100.00"), key="p").disbursement


def test_finance_marks_a_disbursement_sent_with_its_reference(disbursement):
    finance = FinanceUserFactory()
    services.mark_disbursement_sent(
        disbursement=disbursement, external_reference="ALI-1", actor=finance
    )
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.external_reference) == ("sent", "ALI-1")
    assert disbursement.status_changed_by == finance
    assert disbursement.sent_at is not None


def test_marking_sent_needs_the_payment_reference(disbursement, finance):
    with pytest.raises(ValidationError):
        services.mark_disbursement_sent(
            disbursement=disbursement, external_reference="", actor=finance
        )


def test_a_sent_disbursement_is_final(disbursement, finance):
    services.mark_disbursement_sent(
        disbursement=disbursement, external_reference="ALI-1", actor=finance
    )
    with pytest.raises(ValidationError):
        services.mark_disbursement_failed(
            disbursement=disbursement, reason="bounced", actor=finance
        )
    with pytest.raises(ValidationError):
        services.retry_disbursement(disbursement=disbursement, actor=finance)
    with pytest.raises(ValidationError):
        services.mark_disbursement_sent(
            disbursement=disbursement, external_reference="ALI-2", actor=finance
        )


def test_only_finance_records_what_happened_to_a_payout(disbursement):
    for not_finance in (UserFactory(), UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied):
            services.mark_disbursement_sent(
                disbursement=disbursement, external_reference="ALI-1", actor=not_finance
            )
        with pytest.raises(PermissionDenied):
            services.mark_disbursement_failed(
                disbursement=disbursement, reason="x", actor=not_finance
            )
    disbursement.refresh_from_db()
    assert disbursement.status == "pending"


def test_a_failed_disbursement_is_retried_as_pending(disbursement, finance):
    services.mark_disbursement_failed(
        disbursement=disbursement, reason="Account closed", actor=finance
    )
    services.retry_disbursement(disbursement=disbursement, actor=finance)
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.attempts) == ("pending", 2)
    with pytest.raises(ValidationError):
        services.retry_disbursement(disbursement=disbursement, actor=finance)
