import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from disputes.models import Complaint, Evidence, Notification
from tests.factories import PNG_BYTES, ConsumerFactory, ConsumerStrikeFactory

pytestmark = pytest.mark.django_db


def test_a_complaint_is_filed_with_a_public_number_and_the_merchants_48_hours(
    file, store, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file()
    assert re.fullmatch(r"TS\d{14}", complaint.number)
    assert complaint.status == Complaint.Status.NEGOTIATING
    assert complaint.suggested_amount == Decimal("209.00")  # refund + postage both ways
    assert before + timedelta(hours=48) <= complaint.due_at <= timezone.now() + timedelta(hours=48)
    notified = set(Notification.objects.filter(complaint=complaint).values_list("user", flat=True))
    assert notified == {store.owner.pk, store.staff.pk}
    assert {m.to[0] for m in mail.outbox} == {store.owner.username, store.staff.username}


def test_nobody_files_on_someone_elses_order(file):
    with pytest.raises(ValidationError, match="not your order"):
        file(consumer=ConsumerFactory())
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(("days_since_completion", "allowed"), [(14.99, True), (15.01, False)])
def test_a_kind_can_be_filed_only_inside_its_window(file, order, days_since_completion, allowed):
    order.paid_at = timezone.now() - timedelta(days=30)
    order.shipped_at = order.delivered_at = None
    order.completed_at = timezone.now() - timedelta(days=days_since_completion)
    order.save()
    if allowed:
        assert file(kind="description_mismatch").pk
    else:
        with pytest.raises(ValidationError):
            file(kind="description_mismatch")
        assert Complaint.objects.count() == 0


def test_the_same_order_and_kind_cannot_be_filed_twice_even_after_withdrawal(file, consumer):
    from disputes import services

    first = file()
    services.withdraw_complaint(complaint=first, actor=consumer)
    with pytest.raises(ValidationError, match="already a complaint"):
        file()
    assert Complaint.objects.count() == 1


def test_a_consumer_with_two_strikes_in_a_year_cannot_file_for_90_days(file, consumer):
    now = timezone.now()
    ConsumerStrikeFactory(complaint__order__consumer=consumer, created_at=now - timedelta(days=200))
    ConsumerStrikeFactory(complaint__order__consumer=consumer, created_at=now - timedelta(days=89))
    with pytest.raises(ValidationError, match="malicious"):
        file()


def test_strikes_further_apart_than_a_year_do_not_restrict(file, consumer):
    now = timezone.now()
    ConsumerStrikeFactory(complaint__order__consumer=consumer, created_at=now - timedelta(days=400))
    ConsumerStrikeFactory(complaint__order__consumer=consumer, created_at=now - timedelta(days=30))
    assert file().pk


def test_the_restriction_ends_90_days_after_the_second_strike(file, consumer):
    now = timezone.now()
    ConsumerStrikeFactory(complaint__order__consumer=consumer, created_at=now - timedelta(days=120))
    ConsumerStrikeFactory(
        complaint__order__consumer=consumer, created_at=now - timedelta(days=90, seconds=1)
    )
    assert file().pk


def test_a_claim_above_what_the_rules_allow_is_refused(file):
    with pytest.raises(ValidationError, match=r"209\.00"):
        file(claimed_amount=Decimal("209.01"))
    assert file(claimed_amount=Decimal("209.00")).pk


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1.00"), Decimal("1.005"), "abc"])
def test_a_malformed_claimed_amount_is_refused_and_nothing_is_written(file, amount):
    with pytest.raises(ValidationError):
        file(claimed_amount=amount)
    assert Complaint.objects.count() == 0


def test_refunds_across_complaints_never_exceed_what_was_paid(file, order):
    file(kind="description_mismatch")
    with pytest.raises(ValidationError, match="Nothing is left to claim"):
        file(kind="seven_day_return", return_requested_at=order.delivered_at + timedelta(hours=1))
    with pytest.raises(ValidationError, match=re.escape("at most ¥796.00")):
        file(kind="counterfeit", claimed_amount=Decimal("995.00"))
    counterfeit = file(kind="counterfeit", claimed_amount=Decimal("796.00"))
    assert (counterfeit.suggested_refund, counterfeit.suggested_amount) == (0, Decimal("796.00"))


def test_a_late_shipping_claim_needs_no_refund_room(file):
    file(kind="description_mismatch")
    order = Complaint.objects.get().order
    order.shipped_at = order.paid_at + timedelta(hours=60)
    order.save()
    assert file(kind="late_shipping", claimed_amount=Decimal("59.70")).pk


def test_a_seven_day_return_needs_the_time_of_the_return_request(file, order):
    order.delivered_at = timezone.now() - timedelta(days=2)
    order.completed_at = None
    order.save()
    with pytest.raises(ValidationError, match="when you asked"):
        file(kind="seven_day_return")
    with pytest.raises(ValidationError, match="future"):
        file(kind="seven_day_return", return_requested_at=timezone.now() + timedelta(hours=1))
    complaint = file(
        kind="seven_day_return", return_requested_at=timezone.now() - timedelta(days=1)
    )
    assert complaint.claimed_amount == Decimal("199.00")


def test_evidence_filed_with_the_complaint_is_stored_under_a_random_name(file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    complaint = file(evidence=[("photo", SimpleUploadedFile("我的照片.png", PNG_BYTES))])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.content_type == "image/png"
    assert evidence.original_name == "我的照片.png"
    assert "我的照片" not in evidence.file.name
    assert evidence.file.name.endswith(".png")


def test_a_bad_file_refuses_the_whole_filing(file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match="JPEG, PNG, WebP or PDF"):
        file(evidence=[("photo", SimpleUploadedFile("photo.png", b"<script>alert(1)</script>"))])
    assert Complaint.objects.count() == 0
    assert Evidence.objects.count() == 0
