from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import Complaint, Evidence, Notification
from tests.factories import PNG_BYTES, ConsumerFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def _url(name, complaint, *args):
    return reverse(f"disputes:{name}", args=[complaint.number, *args])


def test_the_consumer_files_a_complaint_from_the_order_page(client, order, consumer, store):
    client.force_login(consumer)
    page = client.get(reverse("disputes:file_complaint", args=[order.order_number]))
    assert page.status_code == 200
    options = {o.kind: o for o in page.context["options"]}
    assert options["description_mismatch"].maximum == Decimal("209.00")
    assert options["late_shipping"].refusal  # shipped 20 hours after payment: on time
    response = client.post(
        reverse("disputes:file_complaint", args=[order.order_number]),
        {
            "kind": "description_mismatch",
            "description": "颜色不对",
            "claimed_amount": "150.00",
            "evidence_kind": "photo",
            "files": [
                SimpleUploadedFile("a.png", PNG_BYTES),
                SimpleUploadedFile("b.png", PNG_BYTES),
            ],
        },
    )
    complaint = Complaint.objects.get()
    assert response.url == _url("complaint", complaint)
    assert complaint.evidence.count() == 2


def test_a_refused_filing_shows_the_reason_and_keeps_the_form(client, order, consumer):
    client.force_login(consumer)
    response = client.post(
        reverse("disputes:file_complaint", args=[order.order_number]),
        {
            "kind": "description_mismatch",
            "description": "x",
            "claimed_amount": "999.00",
            "evidence_kind": "photo",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at most" in str(response.context["form"].non_field_errors())
    assert Complaint.objects.count() == 0


def test_someone_elses_order_is_not_found(client, order):
    client.force_login(ConsumerFactory())
    assert (
        client.get(reverse("disputes:file_complaint", args=[order.order_number])).status_code == 404
    )


def test_the_consumer_sees_the_next_step_and_the_timeline(client, complaint, consumer, store):
    services.make_offer(
        complaint=complaint,
        actor=store.owner,
        refund=Decimal("80.00"),
        compensation_amount=Decimal("0"),
    )
    client.force_login(consumer)
    page = client.get(_url("complaint", complaint), HTTP_ACCEPT_LANGUAGE="en")
    assert [a.name for a in page.context["step"].actions] == [
        "accept-offer",
        "decline-offer",
        "withdraw",
    ]
    assert page.context["step"].actions[0].primary
    assert "¥80.00" in page.context["step"].headline
    assert [s.kind for s in page.context["timeline"]] == ["filed", "offer"]


def test_the_merchant_sees_the_consumer_masked_and_its_answers(client, complaint, store, consumer):
    client.force_login(store.staff)
    page = client.get(_url("seller_complaint", complaint))
    assert [a.name for a in page.context["step"].actions] == ["accept", "offer", "refuse"]
    assert consumer.display_name not in page.content.decode()
    assert consumer.masked_name in page.content.decode()


@pytest.mark.parametrize("who", ["another consumer", "another store"])
def test_nobody_else_can_see_a_complaint(client, complaint, other_store, who):
    user = ConsumerFactory() if who == "another consumer" else other_store.owner
    client.force_login(user)
    assert client.get(_url("complaint", complaint)).status_code == 404
    assert client.get(_url("seller_complaint", complaint)).status_code == 404


def test_buttons_post_to_the_services_and_report_back(client, complaint, store, consumer):
    client.force_login(store.owner)
    client.post(_url("seller_action", complaint, "refuse"), {"reason": "不同意"})
    client.force_login(consumer)
    response = client.post(_url("consumer_action", complaint, "escalate"), follow=True)
    assert Complaint.objects.get().status == Complaint.Status.UNDER_REVIEW
    assert list(response.context["messages"])


def test_an_action_not_allowed_now_shows_an_error_and_changes_nothing(client, complaint, consumer):
    client.force_login(consumer)
    response = client.post(_url("consumer_action", complaint, "accept-offer"), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Complaint.objects.get().status == Complaint.Status.NEGOTIATING


def test_actions_need_a_post(client, complaint, consumer):
    client.force_login(consumer)
    assert client.get(_url("consumer_action", complaint, "withdraw")).status_code == 405


def test_an_unknown_action_is_not_found(client, complaint, consumer, store):
    client.force_login(consumer)
    assert client.post(_url("consumer_action", complaint, "pay-me")).status_code == 404
    client.force_login(store.owner)
    assert client.post(_url("seller_action", complaint, "pay-me")).status_code == 404


def test_a_malformed_offer_shows_the_errors(client, complaint, store):
    client.force_login(store.owner)
    response = client.post(
        _url("seller_action", complaint, "offer"),
        {"refund": "abc", "compensation": "0"},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_both_sides_download_evidence_as_an_attachment(client, complaint, consumer, store):
    evidence = EvidenceFactory(complaint=complaint)
    for user, name in ((consumer, "consumer_evidence_file"), (store.staff, "seller_evidence_file")):
        client.force_login(user)
        response = client.get(_url(name, complaint, evidence.pk))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG_BYTES


def test_evidence_of_another_complaint_is_not_found(client, complaint, consumer, file):
    other = EvidenceFactory()
    client.force_login(consumer)
    assert client.get(_url("consumer_evidence_file", complaint, other.pk)).status_code == 404


def test_uploading_a_disguised_file_is_refused(client, complaint, consumer):
    client.force_login(consumer)
    response = client.post(
        _url("consumer_evidence", complaint),
        {"kind": "photo", "files": [SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image")]},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Evidence.objects.count() == 0


def test_the_twenty_first_file_of_a_side_is_refused(complaint, consumer):
    from django.core.exceptions import ValidationError

    EvidenceFactory.create_batch(20, complaint=complaint)
    with pytest.raises(ValidationError, match="20"):
        services.add_evidence_files(
            complaint=complaint,
            uploader=consumer,
            kind="photo",
            files=[SimpleUploadedFile("a.png", PNG_BYTES)],
        )


def test_a_file_over_10_mb_is_refused(complaint, consumer):
    from django.core.exceptions import ValidationError

    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="10 MB"):
        services.add_evidence_files(
            complaint=complaint, uploader=consumer, kind="other", files=[big]
        )


def test_messages_reach_the_other_side(client, complaint, consumer, store):
    client.force_login(store.staff)
    client.post(_url("seller_message", complaint), {"body": "请提供照片"})
    assert Notification.objects.filter(user=consumer, event="message").exists()
    client.force_login(consumer)
    page = client.get(_url("complaint", complaint))
    assert "请提供照片" in page.content.decode()


def test_the_bell_counts_unread_and_opening_marks_read(client, complaint, consumer, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    client.force_login(consumer)
    assert client.get(reverse("disputes:consumer_orders")).context["unread_notifications"] == 1
    notification = Notification.objects.get(user=consumer)
    response = client.post(reverse("disputes:open_notification", args=[notification.pk]))
    assert response.url == _url("complaint", complaint)
    assert client.get(reverse("disputes:consumer_orders")).context["unread_notifications"] == 0


def test_someone_elses_notification_cannot_be_opened(client, complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
    client.force_login(ConsumerFactory())
    notification = Notification.objects.filter(event="refused").get()
    assert (
        client.post(reverse("disputes:open_notification", args=[notification.pk])).status_code
        == 404
    )


def test_the_seller_overview_lists_what_needs_an_answer_first(client, file, store, order, consumer):
    soon = file()
    later = services.file_complaint(
        order=order,
        consumer=consumer,
        kind="after_sales",
        description="x",
        claimed_amount=Decimal("5.00"),
    )
    Complaint.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(hours=2))
    client.force_login(store.owner)
    page = client.get(reverse("disputes:seller_overview"))
    assert [c.pk for c in page.context["waiting"]] == [soon.pk, later.pk]
    assert page.context["stats"].filed == 2
