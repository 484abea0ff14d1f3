"""Irreversible steps ask first and let the person explain: the merchant confirms paying
before accepting, the consumer says why they decline an offer, may tell the platform what
it should know (with evidence) when escalating, and confirms a withdrawal."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm_log.models import StateLog

from common.recorded_text import readable
from disputes import services
from disputes.models import Complaint, Evidence, Offer
from tests.disputes.world import png
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = Complaint.Status


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def act(client, viewer, complaint, action, data=None):
    name = "disputes:seller_action" if viewer == "merchant" else "disputes:consumer_action"
    return client.post(reverse(name, args=[complaint.number, action]), data or {}, follow=True)


def status_of(complaint) -> str:
    return Complaint.objects.get(pk=complaint.pk).status


def errors_in(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


@pytest.fixture
def offered(complaint, store):
    services.make_offer(
        complaint=complaint, actor=store.owner, refund=Decimal("80.00"), compensation_amount=0
    )
    return complaint


def test_accepting_a_claim_needs_the_merchant_to_confirm_paying(client, complaint, store):
    client.force_login(store.owner)

    unconfirmed = act(client, "merchant", complaint, "accept")
    assert errors_in(unconfirmed) == ["Tick the box to confirm that you will pay."]
    assert status_of(complaint) == Status.NEGOTIATING

    act(client, "merchant", complaint, "accept", {"confirm": "on"})
    assert status_of(complaint) == Status.SETTLED


def test_the_merchant_is_shown_what_accepting_commits_them_to(client, complaint, store):
    client.force_login(store.owner)
    page = client.get(reverse("disputes:seller_complaint", args=[complaint.number]))
    html = page.content.decode()
    assert "I will pay the consumer the amount claimed, directly." in html
    assert f"Accept and pay ¥{complaint.claimed_amount}" in html


def test_declining_an_offer_needs_a_reason_the_merchant_reads(client, offered, consumer, store):
    client.force_login(consumer)
    refused = act(client, "consumer", offered, "decline-offer", {"reason": "   "})
    assert refused.context["messages"] and errors_in(refused)
    assert Offer.objects.get().status == Offer.Status.OPEN

    act(client, "consumer", offered, "decline-offer", {"reason": "只退一半不够，商品完全不能用。"})

    assert Offer.objects.get().status == Offer.Status.DECLINED
    client.force_login(store.owner)
    seller_page = client.get(reverse("disputes:seller_complaint", args=[offered.number]))
    assert "只退一半不够，商品完全不能用。" in seller_page.content.decode()


def test_the_service_refuses_a_decline_without_a_reason(offered, consumer):
    with pytest.raises(ValidationError):
        services.decline_offer(complaint=offered, actor=consumer, reason="")
    assert Offer.objects.get().status == Offer.Status.OPEN


def test_escalating_carries_the_consumers_statement_and_evidence(
    client, complaint, store, consumer
):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    client.force_login(consumer)

    act(
        client,
        "consumer",
        complaint,
        "escalate",
        {"statement": "商家拒绝退货，请平台看照片。", "files": [png("a"), png("b")]},
    )

    assert status_of(complaint) == Status.UNDER_REVIEW
    sent = Evidence.objects.filter(complaint=complaint, party="consumer")
    assert sent.count() == 2
    assert StateLog.objects.get(transition="escalate").description == "商家拒绝退货，请平台看照片。"
    reviewer = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(reviewer)
    case = client.get(reverse("admin:disputes_complaint_change", args=[complaint.pk]))
    assert "商家拒绝退货，请平台看照片。" in case.content.decode()


def test_a_refused_file_escalates_nothing(client, complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    client.force_login(consumer)
    not_an_image = SimpleUploadedFile("photo.png", b"plain text, not a picture")

    response = act(client, "consumer", complaint, "escalate", {"files": [not_an_image]})

    assert errors_in(response)
    assert status_of(complaint) == Status.NEGOTIATING
    assert not Evidence.objects.exists()


def test_escalating_without_a_statement_still_works(client, complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    client.force_login(consumer)
    act(client, "consumer", complaint, "escalate")
    assert status_of(complaint) == Status.UNDER_REVIEW
    assert readable(StateLog.objects.get(transition="escalate").description) == (
        "The consumer asked the platform to step in"
    )


def test_withdrawing_needs_the_consumer_to_confirm(client, complaint, consumer):
    client.force_login(consumer)
    unconfirmed = act(client, "consumer", complaint, "withdraw")
    assert errors_in(unconfirmed) == ["Tick the box to confirm the withdrawal."]
    assert status_of(complaint) == Status.NEGOTIATING

    act(client, "consumer", complaint, "withdraw", {"confirm": "on"})
    assert status_of(complaint) == Status.WITHDRAWN


def test_irreversible_steps_open_a_form_instead_of_being_one_click(client, offered, consumer):
    client.force_login(consumer)
    page = client.get(reverse("disputes:complaint", args=[offered.number]))
    buttons = [action.name for action in page.context["step"].buttons]
    assert buttons == ["accept-offer"]
    html = page.content.decode()
    assert 'name="reason"' in html and 'name="confirm"' in html
