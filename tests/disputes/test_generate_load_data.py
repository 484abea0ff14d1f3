"""`manage.py generate_load_data`: a small data set, every row what the services would have
written.

The generator commits in a transaction of its own (on PostgreSQL from a thread with its
own connection), so the tests that generate are transactional (`reference_data` puts back
the roles, categories, policies and rules a flush empties). The refusals write nothing.
"""

import io
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.models import User
from deposits.audit import audit_deposits
from deposits.models import LedgerEntry
from disputes.deadlines import run_all_deadlines
from disputes.loaddata import LoadDataError, Sizes, run
from disputes.loaddata.base import QUIET, seeded
from disputes.loaddata.people import complaints_per_store
from disputes.models import Complaint, Decision, Offer
from disputes.selectors import deadline_policy
from merchants.models import Merchant
from tests.factories import CompensationRuleFactory, MerchantFactory

S = Complaint.Status
CENT, ZERO = Decimal("0.01"), Decimal("0.00")
COMPLAINTS = 400  # the rarest state (waiting for approval) is 1 in 100
HOLDING = {S.UNDER_REVIEW, S.AWAITING_INFO, S.AWAITING_APPROVAL, S.AWAITING_MERCHANT_PAYMENT}
DECIDING = {S.UNDER_REVIEW, S.AWAITING_INFO, S.AWAITING_APPROVAL}
REMINDED = {S.NEGOTIATING, S.AWAITING_INFO, S.AWAITING_MERCHANT_PAYMENT, S.UNDER_APPEAL}


def generate(complaints=COMPLAINTS, **options) -> str:
    out = io.StringIO()
    call_command("generate_load_data", complaints=complaints, stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (User, Merchant, Complaint, Offer, Decision, LedgerEntry, StateLog)
    return {model._meta.label: model.objects.count() for model in models}


def _histories() -> dict[int, list]:
    logs = defaultdict(list)
    rows = StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Complaint))
    for row in rows.order_by("timestamp", "id").values_list(
        "object_id", "source_state", "state", "timestamp"
    ):
        logs[int(row[0])].append(row[1:])
    return logs


def _history_problems(complaint, logs, now) -> list[str]:
    state, last = S.NEGOTIATING, complaint.created_at
    for source, target, at in logs:
        if source != state or not last <= at <= now:
            return [f"history breaks at {source} -> {target} ({at})"]
        state, last = target, at
    return [] if state == complaint.status else [f"history ends in {state}"]


def _deadline_problems(c, now) -> list[str]:
    """The current deadline is the one the stage says, and it has not passed."""
    policy = deadline_policy(now)
    due = c.due_at
    if c.status in (S.SETTLED, S.WITHDRAWN, S.CLOSED):
        expected = None
    elif c.status in (S.UNDER_REVIEW, S.AWAITING_APPROVAL):
        expected = c.decision_due_at
    elif c.status == S.NEGOTIATING:
        offer = next((o for o in c.offers.all() if o.status == Offer.Status.OPEN), None)
        expected = (
            c.created_at + policy.hours("merchant_response_hours")
            if not c.merchant_answer
            else min(offer.expires_at, c.lapses_at)
            if offer
            else c.lapses_at
        )
    elif c.status == S.AWAITING_INFO:
        expected = min((r.due_at for r in c.info_requests.all() if r.is_open), default=None)
    elif c.status == S.AWAITING_MERCHANT_PAYMENT:
        decision = c.final_decision
        expected = (decision.approved_at or decision.decided_at) + policy.hours("pay_first_hours")
    elif c.status == S.UNDER_APPEAL:
        appeal = c.appeal_record
        answered = appeal.responded_at or appeal.response_lapsed
        expected = None if answered else appeal.response_due_at
    else:  # paid, rejected: the appeal window
        expected = (c.paid_at or c.rejected_at) + policy.days("appeal_window_days")
    problems = [] if due == expected else [f"due at {due}, the stage says {expected}"]
    if due is not None and c.status not in (S.UNDER_REVIEW, S.AWAITING_APPROVAL) and due <= now:
        problems.append(f"its {c.status} deadline {due} has passed")
    return problems


def _row_problems(c, held, now) -> list[str]:
    problems = []
    if c.held_amount != held.get(c.ledger_reference, ZERO):
        problems.append(f"holds {c.held_amount}, the ledger {held.get(c.ledger_reference)}")
    if c.held_amount and c.status not in HOLDING:
        problems.append(f"holds {c.held_amount} while {c.status}")
    open_offers = [o for o in c.offers.all() if o.status == Offer.Status.OPEN]
    if open_offers and (c.status != S.NEGOTIATING or len(open_offers) > 1):
        problems.append(f"{len(open_offers)} open offers while {c.status}")
    open_requests = [r for r in c.info_requests.all() if r.is_open]
    # withdraw_complaint leaves a request open as it was; nothing acts on it any more.
    if open_requests and c.status not in (S.AWAITING_INFO, S.WITHDRAWN):
        problems.append(f"{len(open_requests)} open information requests while {c.status}")
    if c.status == S.AWAITING_INFO and not open_requests:
        problems.append("waiting for information nobody was asked for")
    pending = [d for d in c.decisions.all() if d.status == Decision.Status.PENDING_APPROVAL]
    if bool(pending) != (c.status == S.AWAITING_APPROVAL):
        problems.append(f"{len(pending)} decisions waiting for approval while {c.status}")
    if c.status in (S.PAID, S.REJECTED, S.AWAITING_MERCHANT_PAYMENT) and not c.final_decision:
        problems.append(f"{c.status} without a final decision")
    unpaid = c.status == S.PAID and [
        line for line in c.final_decision.lines.all() if line.paid_amount is None
    ]
    if unpaid:
        problems.append("paid, with an award line that records no payment")
    if (c.status == S.UNDER_APPEAL) != hasattr(c, "appeal_record") and c.status != S.CLOSED:
        problems.append(f"{c.status} and appeal record disagree")
    if c.status in DECIDING and c.decision_overdue != (c.decision_due_at <= now):
        problems.append(f"overdue flag {c.decision_overdue}, decision due {c.decision_due_at}")
    if c.status in REMINDED and c.due_at:
        reminded = c.reminded_for_due_at == c.due_at
        if reminded != (c.due_at - deadline_policy(now).hours("reminder_hours") <= now):
            problems.append(f"reminded {reminded} for a deadline at {c.due_at}")
    return problems


def inconsistencies(now) -> list[str]:
    """Every way a complaint disagrees with its history, its stage or the ledger."""
    histories = _histories()
    sums = LedgerEntry.objects.values_list("reference").annotate(Sum("held_delta")).order_by()
    # To the fen: SQLite adds decimals as floats.
    held = {reference: Decimal(total).quantize(CENT) for reference, total in sums}
    complaints = Complaint.objects.prefetch_related(
        "offers", "info_requests", "decisions__lines", "appeal_record"
    )
    problems = []
    for c in complaints:
        found = _history_problems(c, histories.get(c.pk, []), now)
        found += _deadline_problems(c, now) + _row_problems(c, held, now)
        problems.extend(f"{c.number} ({c.status}): {problem}" for problem in found)
    return problems


def test_a_small_data_set_has_every_state_a_true_history_and_a_balanced_ledger(reference_data):
    printed = generate()
    now = timezone.now()

    states = Counter(Complaint.objects.values_list("status", flat=True))
    assert set(states) == set(S.values)
    assert states.total() == COMPLAINTS
    assert "Rows written:" in printed
    assert inconsistencies(now) == []
    problems, checked = audit_deposits()
    assert problems == []
    assert checked["accounts"] == Merchant.objects.count() == 10
    assert StateLog.objects.count() > COMPLAINTS


def test_the_deadline_processor_finds_nothing_to_do_right_after(reference_data):
    generate()
    for moment in (timezone.now(), timezone.now() + QUIET - timedelta(minutes=5)):
        assert run_all_deadlines(moment) == {
            "deposits.deadlines.process_due_top_ups": 0,
            "disputes.deadlines.process_due_complaints": 0,
            "disputes.deadlines.process_awaiting_payouts": 0,
            "disputes.digests.send_due_digests": 0,
        }


def test_the_same_seed_again_does_nothing_and_another_seed_adds_its_own_set(reference_data):
    generate(complaints=200)
    first_set = set(Complaint.objects.values_list("number", "status", "due_at"))
    before = row_counts()

    assert "nothing to do" in generate(complaints=200)
    assert row_counts() == before

    generate(complaints=150, seed=2)
    assert Complaint.objects.count() == 350
    assert Complaint.objects.filter(merchant__code__startswith="load-s2-store-").count() == 150
    assert (
        set(
            Complaint.objects.filter(merchant__code__startswith="load-store-").values_list(
                "number", "status", "due_at"
            )
        )
        == first_set
    )
    assert audit_deposits()[0] == []
    assert inconsistencies(timezone.now()) == []


def test_a_run_that_fails_midway_leaves_nothing_behind(reference_data, monkeypatch):
    monkeypatch.setattr(run, "CHUNK_COMPLAINTS", 50)  # several groups of stores
    make_rows, made = run.group_rows, []

    def fail_at_the_third_group(world, group):
        made.append(group)
        if len(made) == 3:
            raise LoadDataError("the machine stopped")
        return make_rows(world, group)

    monkeypatch.setattr(run, "group_rows", fail_at_the_third_group)
    before = row_counts()
    with pytest.raises(CommandError, match="the machine stopped"):
        generate(complaints=300)
    assert row_counts() == before
    monkeypatch.setattr(run, "group_rows", make_rows)
    generate(complaints=300)  # and the seed can be generated afterwards
    assert Complaint.objects.count() == 300


def _indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes ORDER BY indexname")
        return cursor.fetchall()


@pytest.mark.postgres
def test_a_large_load_builds_again_exactly_the_indexes_it_dropped(monkeypatch):
    monkeypatch.setattr(run, "REBUILD_INDEXES_FROM", 1)
    before = _indexes()
    generate(complaints=200)
    assert _indexes() == before
    assert audit_deposits()[0] == []
    assert inconsistencies(timezone.now()) == []


def test_the_defaults_make_the_benchmarks_shape_at_a_million():
    sizes = Sizes.scaled(1_000_000)
    assert (sizes.consumers, sizes.stores, sizes.busy_store_complaints) == (200_000, 2_000, 20_000)
    counts = complaints_per_store(sizes, seeded(1))
    assert len(counts) == 2_000
    assert sum(counts) == 1_000_000
    assert counts[0] == 20_000  # load-store-1
    assert max(counts[1:]) < 20_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"complaints": 0}, "at least one complaint"),
        ({"complaints": 10, "stores": -1}, "at least one store"),
        ({"complaints": 10, "busy_store_complaints": 11}, "no more than the complaints"),
    ],
)
def test_the_command_refuses_impossible_sizes(options, error):
    with pytest.raises(CommandError, match=error):
        call_command("generate_load_data", stdout=io.StringIO(), **options)
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_another_size_for_a_seed_it_already_generated():
    MerchantFactory(code="load-store-1")  # seed 1's data set, with no complaints
    with pytest.raises(CommandError, match="already has a data set of 0 complaints, not 10"):
        generate(complaints=10)


@pytest.mark.django_db
def test_the_command_refuses_a_seed_whose_complaint_numbers_are_taken():
    MerchantFactory(code="load-store-1")
    with pytest.raises(CommandError, match="same last digit"):
        generate(complaints=10, seed=11)


@pytest.mark.django_db
def test_the_command_refuses_a_partial_data_set():
    User.objects.create_user(username="load-c1@load.test")
    with pytest.raises(CommandError, match="partial data set"):
        generate(complaints=10)


@pytest.mark.django_db
def test_the_command_refuses_rules_that_changed_within_the_data_sets_two_years():
    CompensationRuleFactory(effective_from=timezone.now() - timedelta(days=30))
    with pytest.raises(CommandError, match="took effect in the last two years"):
        generate(complaints=10)
    assert not Complaint.objects.exists()
