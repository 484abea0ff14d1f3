"""What consumers and merchants see and do while the platform investigates, decides and
hears an appeal: the next step box, the decision card, the timeline and the case file."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from disputes import selectors, services
from disputes.models import Appeal, Complaint, Evidence, InfoRequest, Message
from tests.factories import (
    PNG_BYTES,
    ConsumerFactory,
    DeadlinePolicyFactory,
    EvidenceFactory,
    MessageFactory,
    PlatformUserFactory,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _url(name, complaint):
    return reverse(f"disputes:{name}", args=[complaint.number])


def _png(name="proof.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@pytest.fixture
def reviewer(db):
    return PlatformUserFactory(roles=[roles.REVIEWERS], display_name="王审核")


@pytest.fixture
def under_review(complaint, store, consumer, reviewer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="颜色有说明。")
    services.escalate_complaint(complaint=complaint, actor=consumer)
    services.take_case(complaint=complaint, actor=reviewer)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def decide(under_review, reviewer):
    def decide_(route="deposit", evidence=()):
        c = under_review
        services.decide_complaint(
            complaint=c,
            actor=reviewer,
            lines=[
                services.LineInput(rule=line.rule, amount=line.amount)
                for line in selectors.suggestion_for(order=c.order, kind=c.kind)
            ],
            reason_code="rule_broken",
            reasoning="商品颜色与页面描述明显不符。",
            route=route,
            evidence=evidence,
        )
        c.refresh_from_db()
        return c

    return decide_


@pytest.fixture
def rejected(under_review, reviewer):
    services.reject_complaint(
        complaint=under_review,
        actor=reviewer,
        reason_code="insufficient_evidence",
        reasoning="照片无法证明颜色差异。",
    )
    under_review.refresh_from_db()
    return under_review


def _page(client, user, complaint, name="complaint"):
    client.force_login(user)
    response = client.get(_url(name, complaint), **EN)
    assert response.status_code == 200
    return response


def _action_names(response):
    return [a.name for a in response.context["step"].actions]


# --- review and approval ---------------------------------------------------------------------


def test_under_review_both_sides_see_the_hold_and_the_decision_target(
    client, under_review, consumer, store
):
    page = _page(client, consumer, under_review)
    assert "of the merchant's deposit is held" in page.context["step"].headline
    assert page.context["step"].deadline == under_review.decision_due_at
    assert _action_names(page) == ["withdraw"]
    seller = _page(client, store.staff, under_review, "seller_complaint")
    assert "of your deposit is held" in seller.context["step"].headline
    assert _action_names(seller) == []
    assert seller.context["decision"] is None


def test_an_award_waiting_for_approval_is_not_shown_yet(client, decide, consumer):
    DeadlinePolicyFactory(
        effective_from=timezone.now() - timedelta(days=1), approval_threshold=Decimal("100.00")
    )
    complaint = decide()
    assert complaint.status == Complaint.Status.AWAITING_APPROVAL
    page = _page(client, consumer, complaint)
    html = page.content.decode()
    assert "senior reviewer is checking" in page.context["step"].headline
    assert page.context["decision"] is None
    assert 'id="decision"' not in html
    assert "商品颜色与页面描述明显不符。" not in html  # the reasoning waits for the approval
    assert "senior reviewer must approve" in html


# --- information requests --------------------------------------------------------------------


def test_the_consumer_answers_the_platforms_question(client, under_review, consumer, reviewer):
    services.request_info(
        complaint=under_review, actor=reviewer, party="consumer", question="请提供实物照片。"
    )
    page = _page(client, consumer, under_review)
    assert _action_names(page)[0] == "answer-info"
    assert page.context["step"].detail == "请提供实物照片。"
    assert "请提供实物照片。" in page.content.decode()
    assert "Send the answer to the platform" in page.content.decode()
    response = client.post(
        _url("consumer_answer_info", under_review),
        {"answer": "照片已上传。", "files": [_png()]},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    info = InfoRequest.objects.get()
    assert info.answer == "照片已上传。"
    assert Complaint.objects.get().status == Complaint.Status.UNDER_REVIEW
    assert Evidence.objects.filter(party="consumer", kind="other").count() == 1
    kinds = [s.kind for s in response.context["timeline"]]
    assert "info" in kinds and "info_answer" in kinds


def test_the_party_not_asked_waits_and_cannot_answer(
    client, under_review, store, consumer, reviewer
):
    services.request_info(
        complaint=under_review, actor=reviewer, party="consumer", question="请提供实物照片。"
    )
    page = _page(client, store.staff, under_review, "seller_complaint")
    assert "answer-info" not in _action_names(page)
    assert "waiting for the consumer" in page.context["step"].headline
    assert page.context["step"].deadline == InfoRequest.objects.get().due_at
    response = client.post(
        _url("seller_answer_info", under_review), {"answer": "伪造的回答"}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert InfoRequest.objects.get().answered_at is None
    assert Complaint.objects.get().status == Complaint.Status.AWAITING_INFO


def test_an_empty_answer_is_refused_and_changes_nothing(client, under_review, consumer, reviewer):
    services.request_info(
        complaint=under_review, actor=reviewer, party="consumer", question="请提供实物照片。"
    )
    client.force_login(consumer)
    response = client.post(_url("consumer_answer_info", under_review), {"answer": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert InfoRequest.objects.get().answered_at is None


# --- paying first ----------------------------------------------------------------------------


def test_the_merchant_pays_first_and_uploads_the_voucher(client, decide, store, consumer):
    complaint = decide(route="merchant_first")
    assert complaint.status == Complaint.Status.AWAITING_MERCHANT_PAYMENT
    page = _page(client, store.staff, complaint, "seller_complaint")
    assert _action_names(page) == ["confirm-payment"]
    assert "Pay the consumer ¥" in page.context["step"].headline
    assert "Upload the voucher and confirm payment" in page.content.decode()

    consumer_page = _page(client, consumer, complaint)
    assert _action_names(consumer_page) == []
    assert "The merchant must pay you ¥" in consumer_page.context["step"].headline

    client.force_login(store.staff)
    nothing = client.post(_url("seller_confirm_payment", complaint), {}, follow=True)
    assert [m.level_tag for m in nothing.context["messages"]] == ["error"]
    assert Complaint.objects.get().status == Complaint.Status.AWAITING_MERCHANT_PAYMENT
    response = client.post(
        _url("seller_confirm_payment", complaint), {"files": [_png()]}, follow=True, **EN
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    complaint = Complaint.objects.get()
    assert complaint.status == Complaint.Status.PAID
    assert complaint.evidence.filter(kind="payment_voucher").count() == 1
    assert "The merchant paid the consumer" in response.context["payout_status"]


def test_a_consumer_cannot_confirm_the_merchants_payment(client, decide, consumer):
    complaint = decide(route="merchant_first")
    client.force_login(consumer)
    response = client.post(_url("seller_confirm_payment", complaint), {"files": [_png()]})
    assert response.status_code in (302, 403, 404)
    assert Complaint.objects.get().status == Complaint.Status.AWAITING_MERCHANT_PAYMENT


# --- the decision card -----------------------------------------------------------------------


def test_the_decision_card_itemises_and_explains_the_award(client, decide, consumer, complaint):
    photo = EvidenceFactory(complaint=complaint, description="实物照片")
    paid = decide(evidence=[photo])
    page = _page(client, consumer, paid)
    html = page.content.decode()
    decision = page.context["decision"]
    lines = list(decision.lines.all())
    assert lines and all(line.paid_amount == line.amount for line in lines)
    assert 'id="decision"' in html
    for line in lines:
        assert line.explanation in html
        assert line.rule not in html  # its name, never its code (issue #13)
    assert f"¥{decision.total:,.2f}" in html
    assert "商品颜色与页面描述明显不符。" in html
    assert "The merchant broke the rule claimed" in html
    assert reverse("disputes:consumer_evidence_file", args=[paid.number, photo.pk]) in html
    assert "paid from the merchant" in page.context["payout_status"]
    assert [s.kind for s in page.context["timeline"]].count("decision") == 1


def test_reviewers_appear_as_the_platform_and_internal_notes_never_show(
    client, decide, reviewer, store, consumer
):
    paid = decide()
    Message.objects.create(
        complaint=paid,
        author=reviewer,
        party="platform",
        body="内部备注：商家有前科",
        internal=True,
    )
    services.post_message(complaint=paid, author=reviewer, body="平台已核实。")
    for user, name, case_file_name in (
        (consumer, "complaint", "consumer_case_file"),
        (store.staff, "seller_complaint", "seller_case_file"),
    ):
        html = _page(client, user, paid, name).content.decode()
        assert "内部备注" not in html
        assert "平台已核实。" in html
        assert "王审核" not in html and reviewer.username not in html
        case_file = client.get(_url(case_file_name, paid))
        body = case_file.content.decode()
        assert "内部备注" not in body and "王审核" not in body


def test_the_rejection_shows_the_reason_and_the_reasoning(client, rejected, store):
    page = _page(client, store.staff, rejected, "seller_complaint")
    html = page.content.decode()
    assert "The evidence is insufficient" in html
    assert "照片无法证明颜色差异。" in html
    assert "appeal" in _action_names(page)


# --- appeals ---------------------------------------------------------------------------------


def test_the_consumer_appeals_a_rejection_and_the_merchant_responds(
    client, rejected, consumer, store
):
    page = _page(client, consumer, rejected)
    assert "appeal" in _action_names(page)
    assert "Submit the appeal" in page.content.decode()
    response = client.post(
        _url("consumer_appeal", rejected),
        {"reason": "我有新的照片。", "files": [_png("new.png")]},
        follow=True,
        **EN,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    appeal = Appeal.objects.get()
    assert appeal.party == "consumer"
    assert Complaint.objects.get().status == Complaint.Status.UNDER_APPEAL
    assert _action_names(response) == []
    assert "Your appeal is in" in response.context["step"].headline

    # the appellant cannot respond to its own appeal
    forged = client.post(
        _url("consumer_appeal_response", rejected), {"response": "自己回应"}, follow=True
    )
    assert [m.level_tag for m in forged.context["messages"]] == ["error"]

    seller = _page(client, store.staff, rejected, "seller_complaint")
    assert _action_names(seller) == ["respond-appeal"]
    assert seller.context["step"].detail == "我有新的照片。"
    response = client.post(
        _url("seller_appeal_response", rejected), {"response": "照片是后拍的。"}, follow=True, **EN
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    appeal.refresh_from_db()
    assert appeal.response == "照片是后拍的。"
    assert _action_names(response) == []
    html = response.content.decode()
    assert "我有新的照片。" in html and "照片是后拍的。" in html
    assert "senior reviewer is resolving" in response.context["step"].headline


def test_a_second_appeal_is_refused(client, rejected, consumer, store):
    services.appeal_complaint(complaint=rejected, actor=consumer, reason="第一次申诉")
    client.force_login(store.owner)
    response = client.post(_url("seller_appeal", rejected), {"reason": "我也申诉"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Appeal.objects.get().reason == "第一次申诉"


def test_no_appeal_once_the_window_has_passed(client, rejected, consumer):
    Complaint.objects.filter(pk=rejected.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    page = _page(client, consumer, rejected)
    assert "appeal" not in _action_names(page)
    response = client.post(_url("consumer_appeal", rejected), {"reason": "太晚了"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Appeal.objects.exists()


def test_an_appeal_without_grounds_is_refused(client, rejected, consumer):
    client.force_login(consumer)
    response = client.post(_url("consumer_appeal", rejected), {"reason": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Appeal.objects.exists()


def test_a_closed_complaint_names_the_remedies_beyond_the_platform(client, rejected, consumer):
    now = timezone.now()
    Complaint.objects.filter(pk=rejected.pk).update(due_at=now - timedelta(minutes=1))
    services.close_complaint(complaint=rejected, now=now)
    page = _page(client, consumer, rejected)
    assert "12315" in page.context["step"].note
    assert "Nobody appealed in time" in page.context["step"].headline


# --- scope, methods --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["another consumer", "another store"])
def test_nobody_else_reaches_the_forms_or_the_case_file(client, rejected, other_store, who):
    user = ConsumerFactory() if who == "another consumer" else other_store.owner
    client.force_login(user)
    for name in ("consumer_appeal", "consumer_answer_info", "consumer_appeal_response"):
        assert client.post(_url(name, rejected), {"reason": "x"}).status_code == 404
    for name in ("seller_appeal", "seller_confirm_payment", "seller_appeal_response"):
        assert client.post(_url(name, rejected), {"reason": "x"}).status_code in (302, 403, 404)
    assert client.get(_url("consumer_case_file", rejected)).status_code == 404
    assert client.get(_url("seller_case_file", rejected)).status_code in (302, 403, 404)
    assert not Appeal.objects.exists()


def test_the_forms_need_a_post(client, rejected, consumer):
    client.force_login(consumer)
    assert client.get(_url("consumer_appeal", rejected)).status_code == 405
    assert client.get(_url("consumer_answer_info", rejected)).status_code == 405


# --- the case file ---------------------------------------------------------------------------


def test_the_consumer_downloads_the_complete_case_file(client, decide, consumer, store):
    paid = decide()
    services.post_message(complaint=paid, author=store.owner, body="我们会配合。")
    client.force_login(consumer)
    response = client.get(_url("consumer_case_file", paid), **EN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"] == f'attachment; filename="{paid.number}.html"'
    body = response.content.decode()
    for text in (paid.number, "我们会配合。", "颜色有说明。", "商品颜色与页面描述明显不符。"):
        assert text in body
    assert "Itemised award" in body and "<script" not in body


def test_the_merchants_case_file_masks_the_consumer(client, decide, store, consumer):
    paid = decide()
    client.force_login(store.staff)
    response = client.get(_url("seller_case_file", paid))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{paid.number}.html"'
    body = response.content.decode()
    assert consumer.masked_name in body and consumer.masked_contact in body
    assert consumer.display_name not in body
    assert consumer.username not in body


# --- query budgets ---------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("viewer", ["consumer", "merchant"])
def test_the_pages_cost_the_same_queries_for_1_or_25_items(
    client, decide, complaint, consumer, store, viewer
):
    EvidenceFactory(complaint=complaint)
    MessageFactory(complaint=complaint)
    paid = decide(evidence=list(complaint.evidence.all()))
    services.appeal_complaint(complaint=paid, actor=consumer, reason="金额不够")
    user = consumer if viewer == "consumer" else store.staff
    page = "complaint" if viewer == "consumer" else "seller_complaint"
    case_file = "consumer_case_file" if viewer == "consumer" else "seller_case_file"
    client.force_login(user)
    small = (_queries(client, _url(page, paid)), _queries(client, _url(case_file, paid)))
    EvidenceFactory.create_batch(24, complaint=complaint)
    MessageFactory.create_batch(24, complaint=complaint)
    large = (_queries(client, _url(page, paid)), _queries(client, _url(case_file, paid)))
    assert small == large, (small, large)
    assert max(large) <= 17


# --- the seller overview ---------------------------------------------------------------------


def _waiting(client, store):
    client.force_login(store.owner)
    return [c.pk for c in client.get(reverse("disputes:seller_overview")).context["waiting"]]


def test_the_seller_overview_lists_an_appeal_to_answer_until_answered(
    client, rejected, store, consumer
):
    assert _waiting(client, store) == []
    services.appeal_complaint(complaint=rejected, actor=consumer, reason="我有新证据")
    assert _waiting(client, store) == [rejected.pk]
    services.respond_to_appeal(complaint=rejected, actor=store.owner, response="不同意")
    assert _waiting(client, store) == []


def test_the_seller_overview_lists_a_payment_to_make_and_a_question(
    client, under_review, store, reviewer, decide
):
    services.request_info(
        complaint=under_review, actor=reviewer, party="merchant", question="请提供发货单。"
    )
    assert _waiting(client, store) == [under_review.pk]
    services.submit_info(complaint=under_review, actor=store.owner, answer="已上传。")
    assert _waiting(client, store) == []
    decide(route="merchant_first")
    assert _waiting(client, store) == [under_review.pk]


def test_a_request_left_open_by_a_withdrawal_reads_as_closed_not_as_waiting(
    client, under_review, reviewer, consumer, store
):
    services.request_info(
        complaint=under_review, actor=reviewer, party="merchant", question="请提供发货记录。"
    )
    services.withdraw_complaint(complaint=under_review, actor=consumer)
    client.force_login(store.staff)
    client.cookies["django_language"] = "en"
    body = client.get(_url("seller_case_file", under_review)).content.decode()
    assert "Not answered before the complaint was closed." in body
    assert "Open until" not in body
