"""The reviewer console: the complaint case file in Django admin, its buttons, and the action
pages that call the complaint services."""

import importlib
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from deposits.models import LedgerEntry
from disputes import selectors, services
from disputes.models import (
    Appeal,
    Complaint,
    ConsumerStrike,
    Decision,
    Holiday,
    InfoRequest,
    Message,
)
from tests.factories import (
    PNG_BYTES,
    ComplaintFactory,
    DeadlinePolicyFactory,
    FinanceUserFactory,
    PlatformUserFactory,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def reviewer():
    return PlatformUserFactory(roles=[roles.REVIEWERS])


@pytest.fixture
def senior():
    return PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS])


@pytest.fixture
def other_senior():
    return PlatformUserFactory(roles=[roles.REVIEWERS, roles.SENIOR_REVIEWERS])


@pytest.fixture
def escalated(complaint, store, consumer):
    """The complaint refused by the merchant and escalated, with a photo from the consumer."""
    services.add_evidence_files(
        complaint=complaint,
        uploader=consumer,
        kind="photo",
        files=[SimpleUploadedFile("photo.png", PNG_BYTES)],
    )
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="x")
    return services.escalate_complaint(complaint=complaint, actor=consumer)


@pytest.fixture
def taken(escalated, reviewer):
    return services.take_case(complaint=escalated, actor=reviewer)


@pytest.fixture
def low_approval_threshold():
    """Every award of the ¥199 order needs a senior reviewer's approval."""
    DeadlinePolicyFactory(
        effective_from=timezone.now() - timedelta(minutes=1), approval_threshold=Decimal("100.00")
    )


def reload(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def case_url(complaint) -> str:
    return reverse("admin:disputes_complaint_change", args=[complaint.pk])


def action_url(complaint, slug: str) -> str:
    return reverse(f"admin:disputes_complaint_{slug}", args=[complaint.pk])


def page(client, user, complaint):
    client.force_login(user)
    response = client.get(case_url(complaint), **EN)
    assert response.status_code == 200
    return response.content.decode()


def buttons(client, user, complaint) -> set[str]:
    content = page(client, user, complaint)
    slugs = (
        "take",
        "request_info",
        "decide",
        "reject",
        "reject_malicious",
        "approve",
        "send_back",
        "resolve_appeal",
        "note",
    )
    return {slug for slug in slugs if f'"{action_url(complaint, slug)}"' in content}


def errors_of(response) -> str:
    return " ".join(str(e) for e in response.context["form"].errors.values())


def decision_data(complaint, **overrides):
    lines = selectors.suggestion_for(
        order=complaint.order, kind=complaint.kind, return_shipping=complaint.return_shipping
    )
    return {
        **{f"line-{line.rule}": str(line.amount) for line in lines},
        "reason_code": "rule_broken",
        "reasoning": "照片显示颜色与描述不符。",
        "evidence": [e.pk for e in complaint.evidence.all()],
        "route": "deposit",
        "reduction_reason": "",
        **overrides,
    }


def decide_through_console(client, reviewer, complaint, **overrides):
    client.force_login(reviewer)
    return client.post(action_url(complaint, "decide"), decision_data(complaint, **overrides), **EN)


# --- who sees which button ------------------------------------------------------------


def test_a_reviewer_takes_the_case_and_then_sees_the_investigation_buttons(
    client, escalated, reviewer
):
    assert buttons(client, reviewer, escalated) == {"take", "note"}

    response = client.post(action_url(escalated, "take"), **EN)

    assert response.status_code == 302
    assert response.url == case_url(escalated)
    assert reload(escalated).assigned_reviewer == reviewer
    assert buttons(client, reviewer, escalated) == {
        "request_info",
        "decide",
        "reject",
        "reject_malicious",
        "note",
    }


def test_another_reviewer_may_only_take_the_case_over(client, taken, senior):
    assert buttons(client, senior, taken) == {"take", "note"}
    assert "Take over from" in page(client, senior, taken)


@pytest.mark.parametrize("who", ["consumer", "merchant"])
def test_the_parties_get_no_admin_access(client, taken, consumer, store, who):
    client.force_login(consumer if who == "consumer" else store.owner)

    assert client.get(case_url(taken)).status_code == 302
    assert client.get(action_url(taken, "decide")).status_code == 302
    assert client.post(action_url(taken, "reject_malicious")).status_code == 302
    assert reload(taken).status == S.UNDER_REVIEW
    assert not Decision.objects.exists()


def test_an_action_not_open_now_sends_the_reviewer_back_to_the_case_file(
    client, escalated, reviewer
):
    client.force_login(reviewer)

    response = client.get(action_url(escalated, "decide"), **EN)

    assert response.status_code == 302
    assert response.url == case_url(escalated)


def test_the_case_file_shows_evidence_thread_suggestion_and_decision(
    client, taken, reviewer, consumer
):
    services.post_message(complaint=taken, author=consumer, body="请尽快处理。")
    services.post_message(complaint=taken, author=reviewer, body="商家照片可疑。", internal=True)
    decide_through_console(client, reviewer, taken)
    evidence = taken.evidence.get()
    entry = Decision.objects.get().lines.first().ledger_entry

    content = page(client, reviewer, taken)

    assert reverse("admin:disputes_complaint_evidence", args=[taken.pk, evidence.pk]) in content
    assert "请尽快处理。" in content
    assert "商家照片可疑。" in content and "Internal note" in content
    assert "description_mismatch.refund" in content
    assert reverse("admin:deposits_ledgerentry_change", args=[entry.pk]) in content


def test_evidence_downloads_only_for_the_platform(client, escalated, reviewer, consumer):
    evidence = escalated.evidence.get()
    url = reverse("admin:disputes_complaint_evidence", args=[escalated.pk, evidence.pk])
    client.force_login(reviewer)

    response = client.get(url)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(consumer)
    assert client.get(url).status_code == 302


# --- investigation ----------------------------------------------------------------------


def test_requesting_information_waits_for_the_party(client, taken, reviewer):
    client.force_login(reviewer)

    response = client.post(
        action_url(taken, "request_info"),
        {"party": "merchant", "question": "请提供发货照片。"},
        **EN,
    )

    assert response.status_code == 302
    assert reload(taken).status == S.AWAITING_INFO
    assert InfoRequest.objects.get().question == "请提供发货照片。"
    assert "请提供发货照片。" in page(client, reviewer, taken)


def test_a_second_open_request_to_the_same_party_is_refused_on_the_form(client, taken, reviewer):
    services.request_info(complaint=taken, actor=reviewer, party="merchant", question="第一次")
    client.force_login(reviewer)

    response = client.post(
        action_url(taken, "request_info"), {"party": "merchant", "question": "第二次"}, **EN
    )

    assert response.status_code == 200
    assert "already has an open request" in errors_of(response)
    assert InfoRequest.objects.count() == 1


def test_a_request_without_a_question_changes_nothing(client, taken, reviewer):
    client.force_login(reviewer)

    response = client.post(
        action_url(taken, "request_info"), {"party": "consumer", "question": ""}, **EN
    )

    assert response.status_code == 200
    assert response.context["form"].errors["question"]
    assert reload(taken).status == S.UNDER_REVIEW
    assert not InfoRequest.objects.exists()


def test_an_internal_note_stays_on_the_platform_side(client, taken, reviewer):
    client.force_login(reviewer)

    response = client.post(action_url(taken, "note"), {"body": "等待商家补充材料。"}, **EN)

    assert response.status_code == 302
    note = Message.objects.get()
    assert (note.internal, note.party, note.author) == (True, "platform", reviewer)


def test_finance_cannot_post_an_internal_note_directly(client, taken):
    client.force_login(FinanceUserFactory())

    forged = client.post(action_url(taken, "note"), {"body": "平台客服，加微信……"}, **EN)

    assert forged.status_code == 200
    assert "You cannot write internal notes on this complaint now." in errors_of(forged)
    assert not Message.objects.exists()


def test_the_service_refuses_an_internal_note_from_anyone_but_a_reviewer(taken):
    with pytest.raises(ValidationError):
        services.post_message(
            complaint=taken, author=FinanceUserFactory(), body="内部备注", internal=True
        )
    assert not Message.objects.exists()


# --- deciding ---------------------------------------------------------------------------


def test_the_decision_form_is_filled_with_the_suggestion(client, taken, reviewer):
    client.force_login(reviewer)

    form = client.get(action_url(taken, "decide"), **EN).context["form"]

    suggestion = selectors.suggestion_for_complaint(taken)
    for line in suggestion:
        field = form.fields[f"line-{line.rule}"]
        assert (field.initial, field.max_value) == (line.amount, line.amount)
    assert "malicious" not in dict(form.fields["reason_code"].choices)


def test_upholding_pays_the_award_from_the_deposit(client, taken, reviewer):
    response = decide_through_console(client, reviewer, taken)

    assert response.status_code == 302
    assert reload(taken).status == S.PAID
    decision = Decision.objects.get()
    assert decision.outcome == Decision.Outcome.UPHELD
    assert list(decision.evidence_relied_on.all()) == list(taken.evidence.all())
    assert all(line.ledger_entry_id for line in decision.lines.all())


def test_upholding_with_the_merchant_paying_first(client, taken, reviewer):
    response = decide_through_console(client, reviewer, taken, route="merchant_first")

    assert response.status_code == 302
    assert reload(taken).status == S.AWAITING_MERCHANT_PAYMENT


def test_less_than_the_suggestion_without_a_reason_changes_nothing(client, taken, reviewer):
    response = decide_through_console(
        client, reviewer, taken, **{"line-description_mismatch.refund": "100.00"}
    )

    assert response.status_code == 200
    assert "say why" in errors_of(response)
    assert reload(taken).status == S.UNDER_REVIEW
    assert not Decision.objects.exists()


def test_less_than_the_suggestion_with_a_reason_is_upheld(client, taken, reviewer):
    response = decide_through_console(
        client,
        reviewer,
        taken,
        **{"line-description_mismatch.refund": "100.00", "reduction_reason": "部分商品可用。"},
    )

    assert response.status_code == 302
    assert Decision.objects.get().lines.get(rule="description_mismatch.refund").amount == 100


def test_more_than_the_rule_allows_is_refused_by_the_form(client, taken, reviewer):
    response = decide_through_console(
        client, reviewer, taken, **{"line-description_mismatch.refund": "999.00"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["line-description_mismatch.refund"]
    assert not Decision.objects.exists()


def test_a_second_post_of_the_same_decision_is_refused_with_a_message(client, taken, reviewer):
    assert decide_through_console(client, reviewer, taken).status_code == 302
    payouts = LedgerEntry.objects.count()

    again = decide_through_console(client, reviewer, taken)

    assert again.status_code == 200
    assert "You cannot decide this complaint now." in errors_of(again)
    assert "Nothing was changed" in again.content.decode()
    assert Decision.objects.count() == 1
    assert LedgerEntry.objects.count() == payouts


def test_rejecting_releases_the_hold(client, taken, reviewer):
    client.force_login(reviewer)

    response = client.post(
        action_url(taken, "reject"),
        {"reason_code": "insufficient_evidence", "reasoning": "照片无法证明。"},
        **EN,
    )

    assert response.status_code == 302
    taken = reload(taken)
    assert (taken.status, taken.held_amount) == (S.REJECTED, 0)
    assert not ConsumerStrike.objects.exists()


def test_rejecting_without_reasoning_changes_nothing(client, taken, reviewer):
    client.force_login(reviewer)

    response = client.post(
        action_url(taken, "reject"), {"reason_code": "insufficient_evidence", "reasoning": ""}
    )

    assert response.status_code == 200
    assert reload(taken).status == S.UNDER_REVIEW


def test_rejecting_as_malicious_gives_the_consumer_a_strike(client, taken, reviewer, consumer):
    client.force_login(reviewer)
    confirmation = client.get(action_url(taken, "reject_malicious"), **EN)
    assert "strike" in confirmation.content.decode()

    response = client.post(
        action_url(taken, "reject_malicious"), {"reasoning": "伪造的照片。"}, **EN
    )

    assert response.status_code == 302
    assert reload(taken).status == S.REJECTED
    assert Decision.objects.get().outcome == Decision.Outcome.REJECTED_MALICIOUS
    assert ConsumerStrike.objects.get().consumer == consumer


# --- four eyes --------------------------------------------------------------------------


@pytest.fixture
def awaiting_approval(client, escalated, senior, low_approval_threshold):
    """Decided by a senior reviewer, so only another senior reviewer may approve."""
    services.take_case(complaint=escalated, actor=senior)
    assert decide_through_console(client, senior, escalated).status_code == 302
    assert reload(escalated).status == S.AWAITING_APPROVAL
    return escalated


def test_the_decider_cannot_approve_their_own_award(client, awaiting_approval, senior):
    assert "approve" not in buttons(client, senior, awaiting_approval)

    forged = client.post(action_url(awaiting_approval, "approve"), **EN)

    assert forged.status_code == 200
    assert "You cannot approve the award of this complaint now." in errors_of(forged)
    assert reload(awaiting_approval).status == S.AWAITING_APPROVAL
    assert Decision.objects.get().approved_by is None


def test_a_plain_reviewer_cannot_approve(client, awaiting_approval, reviewer):
    assert buttons(client, reviewer, awaiting_approval) == {"note"}


def test_another_senior_reviewer_approves_and_the_award_is_paid(
    client, awaiting_approval, other_senior
):
    assert {"approve", "send_back"} <= buttons(client, other_senior, awaiting_approval)

    response = client.post(action_url(awaiting_approval, "approve"), **EN)

    assert response.status_code == 302
    assert reload(awaiting_approval).status == S.PAID
    assert Decision.objects.get().approved_by == other_senior


def test_sending_back_returns_the_case_to_review(client, awaiting_approval, other_senior):
    client.force_login(other_senior)

    empty = client.post(action_url(awaiting_approval, "send_back"), {"reason": ""}, **EN)
    assert empty.status_code == 200
    assert reload(awaiting_approval).status == S.AWAITING_APPROVAL

    response = client.post(
        action_url(awaiting_approval, "send_back"), {"reason": "证据不足以支持全额。"}, **EN
    )

    assert response.status_code == 302
    assert reload(awaiting_approval).status == S.UNDER_REVIEW
    assert Decision.objects.get().status == Decision.Status.SENT_BACK


# --- appeals ----------------------------------------------------------------------------


@pytest.fixture
def appeal_ready(client, taken, reviewer, consumer, store):
    decide_through_console(client, reviewer, taken)
    services.appeal_complaint(complaint=taken, actor=store.owner, reason="消费者自己弄坏的。")
    services.respond_to_appeal(complaint=taken, actor=consumer, response="收到时就是这样。")
    return taken


def test_only_an_uninvolved_senior_reviewer_resolves_the_appeal(
    client, appeal_ready, reviewer, senior
):
    assert "resolve_appeal" not in buttons(client, reviewer, appeal_ready)
    assert "resolve_appeal" in buttons(client, senior, appeal_ready)

    response = client.post(
        action_url(appeal_ready, "resolve_appeal"),
        {"outcome": "upheld", "resolution": "维持原裁决。"},
        **EN,
    )

    assert response.status_code == 302
    assert reload(appeal_ready).status == S.CLOSED
    assert Appeal.objects.get().resolved_by == senior


def test_a_raise_that_raises_nothing_is_refused_on_the_form(client, appeal_ready, senior):
    client.force_login(senior)
    awarded = {f"line-{line.rule}": str(line.amount) for line in Decision.objects.get().lines.all()}

    response = client.post(
        action_url(appeal_ready, "resolve_appeal"),
        {"outcome": "revised_up", "resolution": "应加赔。", **awarded},
        **EN,
    )

    assert response.status_code == 200
    assert "A raised award is more than ¥209.00." in response.content.decode()
    assert reload(appeal_ready).status == S.UNDER_APPEAL


def test_the_appeal_form_offers_each_line_at_its_award_and_its_limit(client, appeal_ready, senior):
    client.force_login(senior)

    form = client.get(action_url(appeal_ready, "resolve_appeal"), **EN).context["form"]

    awarded = {line.rule: line.amount for line in Decision.objects.get().lines.all()}
    for line in selectors.suggestion_for_complaint(appeal_ready):
        field = form.fields[f"line-{line.rule}"]
        assert (field.initial, field.max_value) == (awarded[line.rule], line.amount)


def test_raising_the_award_on_appeal_pays_the_difference(client, taken, reviewer, senior, store):
    decide_through_console(
        client,
        reviewer,
        taken,
        **{"line-description_mismatch.refund": "149.00", "reduction_reason": "部分。"},
    )
    services.appeal_complaint(complaint=taken, actor=taken.consumer, reason="应全额退款。")
    services.respond_to_appeal(complaint=taken, actor=store.owner, response="不同意。")
    client.force_login(senior)

    response = client.post(
        action_url(taken, "resolve_appeal"),
        {
            "outcome": "revised_up",
            "line-description_mismatch.refund": "199.00",
            "line-description_mismatch.shipping": "10.00",
            "resolution": "应加赔。",
        },
        **EN,
    )

    assert response.status_code == 302
    line = Appeal.objects.get().lines.get()
    assert (line.rule, line.amount, line.paid_amount) == (
        "description_mismatch.refund",
        50,
        50,
    )


# --- the queue --------------------------------------------------------------------------


def changelist(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("admin:disputes_complaint_changelist") + query, **EN)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_queue_filters_what_needs_the_reviewer(client, taken, reviewer, senior):
    overdue = ComplaintFactory(
        status=S.UNDER_REVIEW, decision_overdue=True, assigned_reviewer=senior
    )
    lapsed = ComplaintFactory(status=S.UNDER_REVIEW, info_lapsed=True)

    assert changelist(client, reviewer, "?assigned=me") == [taken]
    assert changelist(client, reviewer, "?decision_overdue__exact=1") == [overdue]
    assert changelist(client, reviewer, "?info_lapsed__exact=1") == [lapsed]
    assert (
        str(senior) in client.get(reverse("admin:disputes_complaint_changelist")).content.decode()
    )


def test_the_queue_finds_appeals_ready_to_resolve(client, appeal_ready, reviewer, store, consumer):
    assert changelist(client, reviewer, "?appeal=ready") == [appeal_ready]
    assert changelist(client, reviewer, "?appeal=waiting") == []


def test_the_queue_costs_the_same_queries_for_1_or_25_complaints(
    client, reviewer, django_assert_max_num_queries
):
    def some_complaints(count):
        for _ in range(count):
            ComplaintFactory(status=S.UNDER_REVIEW, assigned_reviewer=PlatformUserFactory())

    some_complaints(1)
    client.force_login(reviewer)
    url = reverse("admin:disputes_complaint_changelist")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    some_complaints(24)

    with django_assert_max_num_queries(len(one)):
        response = client.get(url)

    assert len(response.context["cl"].result_list) == 25


# --- the records beside the complaints ----------------------------------------------------


def test_decisions_appeals_and_requests_are_read_only(client, taken, reviewer, senior):
    decide_through_console(client, reviewer, taken)
    decision = Decision.objects.get()
    client.force_login(senior)

    assert (
        client.get(reverse("admin:disputes_decision_change", args=[decision.pk])).status_code == 200
    )
    for model in ("decision", "inforequest", "appeal"):
        assert client.get(reverse(f"admin:disputes_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:disputes_{model}_add")).status_code == 403
    assert (
        client.post(reverse("admin:disputes_decision_delete", args=[decision.pk])).status_code
        == 403
    )


def test_finance_reads_the_awards_but_not_the_appeals(client):
    client.force_login(FinanceUserFactory())

    assert client.get(reverse("admin:disputes_decision_changelist")).status_code == 200
    assert client.get(reverse("admin:disputes_appeal_changelist")).status_code == 403


def test_senior_reviewers_keep_the_holiday_list(client, reviewer, senior):
    add = reverse("admin:disputes_holiday_add")
    client.force_login(reviewer)
    assert client.get(reverse("admin:disputes_holiday_changelist")).status_code == 200
    assert client.post(add, {"date": "2026-10-01", "name": "国庆节"}).status_code == 403

    client.force_login(senior)
    assert client.post(add, {"date": "2026-10-01", "name": "国庆节"}).status_code == 302
    assert Holiday.objects.get().name == "国庆节"


def test_the_review_permissions_migration_can_run_twice():
    migration = importlib.import_module("disputes.migrations.0005_review_permissions")
    state = MigrationExecutor(connection).loader.project_state(
        ("disputes", "0005_review_permissions")
    )

    migration.grant(state.apps, None)
    migration.grant(state.apps, None)

    def codenames(group):
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert {"view_decision", "view_appeal", "view_holiday"} <= codenames(roles.REVIEWERS)
    assert {"add_holiday", "change_holiday", "delete_holiday"} <= codenames(roles.SENIOR_REVIEWERS)
    assert "add_holiday" not in codenames(roles.REVIEWERS)
    assert {"view_decision", "view_awardline"} <= codenames(roles.FINANCE)


def test_a_new_compensation_rule_takes_effect_five_minutes_from_now_at_the_soonest(client, senior):
    soon = timezone.localtime() + timedelta(minutes=2)
    client.force_login(senior)
    response = client.post(
        reverse("admin:disputes_compensationrule_add"),
        {
            "effective_from_0": soon.strftime("%Y-%m-%d"),
            "effective_from_1": soon.strftime("%H:%M:%S"),
        },
        **EN,
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["effective_from"] == [
        "A new rule takes effect at least 5 minutes from now; the past stays as it was."
    ]


@pytest.mark.parametrize(
    "term",
    [
        "complaint number",
        "number start",
        "order number",
        "login",
        "name",
        "store code",
        "store name",
    ],
)
def test_the_queue_finds_a_complaint_by_what_a_reviewer_knows_of_it(client, reviewer, term):
    complaint = ComplaintFactory()
    ComplaintFactory()  # another, which must not match
    consumer, merchant = complaint.consumer, complaint.merchant
    query = {
        "complaint number": complaint.number,
        "number start": complaint.number[:-1],
        "order number": complaint.order.order_number,
        "login": consumer.username.split("@")[0] + "@",
        "name": consumer.display_name,
        "store code": merchant.code,
        "store name": merchant.name,
    }[term]
    assert changelist(client, reviewer, "?" + urlencode({"q": query})) == [complaint]


def test_a_request_left_open_by_a_withdrawal_is_not_shown_as_waiting(
    client, taken, reviewer, consumer
):
    services.request_info(complaint=taken, actor=reviewer, party="merchant", question="发货记录？")
    services.withdraw_complaint(complaint=taken, actor=consumer)
    client.cookies["django_language"] = "en"
    content = page(client, reviewer, taken)
    assert "Not answered before the complaint was closed" in content
    assert "Waiting for the answer" not in content
