"""Each figure of the dashboard against rows built for it, the expected values worked out
by hand. "Now" is Wednesday 25 November 2026, noon in Beijing: the period runs from Monday
31 August to Sunday 29 November; week A starts on Monday 16 November, week B (the current
week) on Monday 23 November."""

from datetime import date
from decimal import Decimal

import pytest

from console import dashboard_figures as figures
from deposits import services as deposit_services
from deposits.destinations import Destination
from deposits.models import Disbursement, LedgerEntry
from disputes.models import Complaint, Decision, Holiday
from merchants.models import Merchant
from tests.console.builders import at, complaint, decide, ledger_entry
from tests.factories import (
    ConsumerFactory,
    DepositAccountFactory,
    MerchantFactory,
    PlatformUserFactory,
)

pytestmark = pytest.mark.django_db

NOW = at("2026-11-25", "12:00")
WEEK_A, WEEK_B = date(2026, 11, 16), date(2026, 11, 23)
Status = Complaint.Status


@pytest.fixture
def period():
    return figures.period_until(NOW)


def by_week(period, values) -> dict:
    """The weeks with something in them."""
    return {monday: value for monday, value in zip(period.weeks, values, strict=True) if value}


def test_the_period_is_the_current_week_and_the_12_before_it(period):
    assert len(period.weeks) == 13
    assert period.weeks[0] == date(2026, 8, 31)
    assert period.weeks[-1] == WEEK_B
    assert period.start == at("2026-08-31", "00:00")
    assert period.end == at("2026-11-30", "00:00")
    assert period.last_day == date(2026, 11, 29)


# --- 1. complaints per week --------------------------------------------------------------


def test_complaints_filed_are_counted_in_the_beijing_week_they_were_filed(period):
    # Week A: Monday 00:30 in Beijing is still Sunday in UTC; Sunday 23:59 ends the week.
    for moment in (at("2026-11-16", "00:30"), at("2026-11-18"), at("2026-11-22", "23:59")):
        complaint(created_at=moment)
    for moment in (at("2026-11-23", "00:00"), at("2026-11-25", "09:00")):
        complaint(created_at=moment)
    complaint(created_at=at("2026-08-30", "23:59"))  # the Sunday before the period

    flow = figures.weekly_flow(period, figures.decision_times(period, NOW))

    assert by_week(period, flow.filed) == {WEEK_A: 3, WEEK_B: 2}


def test_escalated_and_paid_complaints_are_counted_by_when_it_happened(period):
    filed = at("2026-10-01")
    complaint(created_at=filed, escalated_at=at("2026-11-16", "09:00"), status=Status.UNDER_REVIEW)
    complaint(created_at=filed, escalated_at=at("2026-11-20"), status=Status.UNDER_REVIEW)
    complaint(created_at=filed, escalated_at=at("2026-11-24"), status=Status.UNDER_REVIEW)
    complaint(
        created_at=filed,
        escalated_at=at("2026-11-02"),
        paid_at=at("2026-11-19"),
        status=Status.PAID,
    )

    flow = figures.weekly_flow(period, figures.decision_times(period, NOW))

    assert by_week(period, flow.escalated) == {WEEK_A: 2, WEEK_B: 1, date(2026, 11, 2): 1}
    assert by_week(period, flow.paid) == {WEEK_A: 1}
    assert sum(flow.filed) == 4


def test_a_complaint_is_decided_when_its_decision_took_effect(period):
    escalated = at("2026-11-09")
    decide(complaint(escalated_at=escalated), at("2026-11-17"))
    # An award that needed approval is decided when it is approved.
    decide(
        complaint(escalated_at=escalated),
        at("2026-11-13"),
        approved_at=at("2026-11-18"),
        approved_by=PlatformUserFactory(),
    )
    decide(complaint(escalated_at=escalated), at("2026-11-24"))
    # Neither one waiting for approval nor one sent back is a decision yet.
    decide(
        complaint(escalated_at=escalated), at("2026-11-17"), status=Decision.Status.PENDING_APPROVAL
    )
    decide(complaint(escalated_at=escalated), at("2026-11-17"), status=Decision.Status.SENT_BACK)

    flow = figures.weekly_flow(period, figures.decision_times(period, NOW))

    assert by_week(period, flow.decided) == {WEEK_A: 2, WEEK_B: 1}


# --- 2. decision time ----------------------------------------------------------------------


def test_decision_times_are_working_days_with_median_and_90th_percentile(period):
    Holiday.objects.create(date=date(2026, 11, 11), name="测试假日")
    decided = at("2026-11-20")  # Friday of week A
    escalations = {
        at("2026-11-19"): 1,  # Thursday
        at("2026-11-18"): 2,
        at("2026-11-17"): 3,
        at("2026-11-16"): 4,  # Monday
        # Friday 6 November: 9 working days with Wednesday 11 November a holiday (10 without).
        at("2026-11-06"): 9,
    }
    for escalated_at in escalations:
        decide(complaint(escalated_at=escalated_at), decided)

    times = figures.decision_times(period, NOW)

    index = period.weeks.index(WEEK_A)
    assert times.decided[index] == 5
    assert times.median[index] == 3
    # percentile_cont: rank (5 − 1) × 0.9 = 3.6 lies between 4 and 9: 4 + 0.6 × 5.
    assert times.p90[index] == pytest.approx(7)
    assert times.target == 4
    assert times.median[period.weeks.index(WEEK_B)] is None


def test_the_median_of_an_even_count_lies_halfway():
    assert figures.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert figures.percentile([2], 0.9) == 2
    assert figures.percentile([], 0.5) is None


# --- 3. stores with the most escalations ---------------------------------------------------


def test_stores_are_ranked_by_escalations_with_their_share(period):
    busy, quiet = MerchantFactory(name="甲店"), MerchantFactory(name="乙店")
    for day in ("2026-11-02", "2026-11-10", "2026-11-24"):
        complaint(merchant=busy, escalated_at=at(day))
    complaint(merchant=quiet, escalated_at=at("2026-11-17"))
    complaint(merchant=quiet, escalated_at=at("2026-08-01"))  # before the period
    complaint(merchant=quiet)  # never escalated

    shares = figures.top_escalated_stores(period, all_escalations=4)

    assert [(s.name, s.escalations, s.share) for s in shares] == [
        ("甲店", 3, 75.0),
        ("乙店", 1, 25.0),
    ]


def test_only_the_ten_stores_with_the_most_escalations_are_listed(period):
    for number in range(11):
        complaint(merchant=MerchantFactory(name=f"店{number:02d}"), escalated_at=at("2026-11-17"))
    complaint(merchant=Merchant.objects.get(name="店10"), escalated_at=at("2026-11-18"))

    shares = figures.top_escalated_stores(period, all_escalations=12)

    assert len(shares) == 10
    assert shares[0].name == "店10"
    assert shares[0].share == pytest.approx(100 * 2 / 12)
    assert "店09" not in [s.name for s in shares]  # ties go by name


# --- 4. money paid out of deposits -------------------------------------------------------


def test_the_claim_payouts_of_the_ledger_are_summed_per_week(period):
    account = DepositAccountFactory()
    ledger_entry(LedgerEntry.Kind.CLAIM_PAYOUT, "-100.50", at("2026-11-16", "00:10"), account)
    ledger_entry(LedgerEntry.Kind.CLAIM_PAYOUT, "-200.00", at("2026-11-22", "23:50"), account)
    ledger_entry(LedgerEntry.Kind.CLAIM_PAYOUT, "-50.00", at("2026-11-24"))
    ledger_entry(LedgerEntry.Kind.CLAIM_PAYOUT, "-999.00", at("2026-08-30"))  # before
    ledger_entry(LedgerEntry.Kind.PAY_IN, "5000.00", at("2026-11-17"), account)
    ledger_entry(LedgerEntry.Kind.EXIT_REFUND, "-700.00", at("2026-11-17"), account)

    paid = figures.paid_from_deposits(period)

    assert by_week(period, paid) == {WEEK_A: Decimal("300.50"), WEEK_B: Decimal("50.00")}
    assert paid[0] == Decimal("0.00")


def test_what_the_platform_advances_beyond_the_deposit_is_not_paid_from_it():
    account = DepositAccountFactory(paid_in=Decimal("100.00"))
    deposit_services.pay_out(
        account=account,
        reference="complaint:TS-TEST",
        amount=Decimal("150.00"),
        payee=ConsumerFactory(),
        destination=Destination.of(method="alipay", number="buyer@example.com"),
        idempotency_key="dashboard-advance",
    )
    period = figures.period_until(account.entries.latest("id").created_at)

    paid = figures.paid_from_deposits(period)

    assert paid[-1] == Decimal("100.00")
    assert Disbursement.objects.get().amount == Decimal("150.00")  # ¥50 advanced


# --- 5. stores restricted and stores below their requirement -------------------------------


def test_restricted_stores_are_counted_and_listed_by_name():
    MerchantFactory(name="乙店", status=Merchant.Status.RESTRICTED)
    MerchantFactory(name="甲店", status=Merchant.Status.RESTRICTED)
    MerchantFactory(name="丙店")

    restricted = figures.restricted_stores()

    assert restricted.count == 2
    assert [store.name for store in restricted.stores] == sorted(["甲店", "乙店"])


def test_stores_with_an_open_top_up_notice_are_below_their_required_deposit():
    # The default policy requires ¥50,000 of a flagship store with registered brands.
    short = DepositAccountFactory(merchant__name="差额店", paid_in=Decimal("10000.00"))
    covered = DepositAccountFactory(merchant__name="足额店", paid_in=Decimal("50000.00"))
    for account in (short, covered):
        deposit_services.request_top_up(account=account, now=NOW)

    below = figures.stores_below_required()

    assert below.count == 1
    assert [(a.merchant.name, a.top_up_amount_due) for a in below.stores] == [
        ("差额店", Decimal("40000.00"))
    ]


# --- 6. reviewers' workload --------------------------------------------------------------


def test_open_and_overdue_cases_are_counted_per_reviewer():
    first = PlatformUserFactory(display_name="王审核")
    second = PlatformUserFactory(display_name="李审核")
    for status in (Status.UNDER_REVIEW, Status.AWAITING_INFO):
        complaint(assigned_reviewer=first, status=status)
    complaint(assigned_reviewer=first, status=Status.AWAITING_APPROVAL, decision_overdue=True)
    complaint(assigned_reviewer=first, status=Status.PAID, decision_overdue=True)  # decided
    complaint(assigned_reviewer=first, status=Status.CLOSED)
    complaint(assigned_reviewer=second, status=Status.UNDER_REVIEW, decision_overdue=True)
    # Decided late and now waiting for the merchant: open, but no longer overdue.
    complaint(
        assigned_reviewer=second, status=Status.AWAITING_MERCHANT_PAYMENT, decision_overdue=True
    )
    complaint(status=Status.UNDER_REVIEW)  # nobody took it yet

    workload = figures.reviewer_workload()

    assert [(row.name, row.open, row.overdue) for row in workload] == [
        ("王审核", 3, 1),
        ("李审核", 2, 1),
    ]
