"""A store's people on the daily digest get the day's updates in one message at 09:00."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from common.dates import PLATFORM_TIME
from disputes import notifications, services
from disputes.deadlines import run_all_deadlines
from disputes.digests import digest_slot, send_due_digests
from outbox import sms
from outbox.services import deliver_due
from tests.factories import MerchantMemberFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=PLATFORM_TIME)


def _on_digest(user, now, **settings):
    services.save_notification_settings(
        user=user,
        muted=settings.get("muted", set()),
        daily_digest=True,
        language=settings.get("language", "en"),
        now=now,
    )
    user.refresh_from_db()


def _digests_to(address):
    return [m for m in mail.outbox if m.to == [address] and "Daily digest" in m.subject]


@pytest.fixture
def updates(store, file):
    """The owner on the digest since the evening before; two updates and one action overnight."""
    with time_machine.travel(MORNING - timedelta(hours=12), tick=False):
        _on_digest(store.owner, timezone.now())
    with time_machine.travel(MORNING - timedelta(hours=2), tick=False):
        first = file()
        services.post_message(complaint=first, author=first.consumer, body="照片见附件")
        services.withdraw_complaint(complaint=first, actor=first.consumer)
        deliver_due()
    mail.outbox.clear()
    return first


def test_the_slot_is_the_latest_nine_o_clock_beijing_time():
    assert digest_slot(MORNING) == MORNING.replace(hour=9) - timedelta(days=1)
    assert digest_slot(MORNING.replace(hour=9)) == MORNING.replace(hour=9)


def test_nothing_is_sent_before_nine(store, updates):
    assert send_due_digests(MORNING) == 0
    deliver_due()
    assert _digests_to(store.owner.email) == []


def test_at_nine_one_digest_lists_the_updates_held_back(store, updates):
    with time_machine.travel(MORNING.replace(hour=9, minute=1), tick=False):
        assert send_due_digests(timezone.now()) == 1
        deliver_due()
    (digest,) = _digests_to(store.owner.email)
    assert f"New message on {updates.number}" in digest.body
    assert f"The consumer withdrew complaint {updates.number}" in digest.body
    # What needed action went out at once, not again in the digest.
    assert "New complaint" not in digest.body


def test_a_digest_is_sent_once_a_day_however_often_the_deadlines_run(store, updates):
    nine = MORNING.replace(hour=9, minute=1)
    for minutes in (0, 1, 30, 600):
        with time_machine.travel(nine + timedelta(minutes=minutes), tick=False):
            run_all_deadlines(timezone.now())
            deliver_due()
    assert len(_digests_to(store.owner.email)) == 1


def test_a_day_without_updates_sends_nothing_and_the_next_day_starts_afresh(store, updates):
    nine = MORNING.replace(hour=9, minute=1)
    with time_machine.travel(nine, tick=False):
        send_due_digests(timezone.now())
    with time_machine.travel(nine + timedelta(days=1), tick=False):
        assert send_due_digests(timezone.now()) == 1
        deliver_due()
    assert len(_digests_to(store.owner.email)) == 1


def test_a_muted_topic_is_left_out_of_the_digest(store, file):
    with time_machine.travel(MORNING - timedelta(hours=12), tick=False):
        _on_digest(
            store.owner,
            timezone.now(),
            muted={notifications.muted(notifications.MESSAGES, notifications.EMAIL)},
        )
    with time_machine.travel(MORNING - timedelta(hours=1), tick=False):
        complaint = file()
        services.post_message(complaint=complaint, author=complaint.consumer, body="照片")
    with time_machine.travel(MORNING.replace(hour=9, minute=1), tick=False):
        send_due_digests(timezone.now())
        deliver_due()
    assert _digests_to(store.owner.email) == []


def test_a_mobile_login_gets_its_digest_by_text_message(store, file):
    mobile = MerchantMemberFactory(
        merchant=store.merchant, user__username="13700137000", user__email=""
    ).user
    with time_machine.travel(MORNING - timedelta(hours=12), tick=False):
        _on_digest(mobile, timezone.now(), language="zh-hans")
    with time_machine.travel(MORNING - timedelta(hours=1), tick=False):
        complaint = file()
        services.withdraw_complaint(complaint=complaint, actor=complaint.consumer)
        deliver_due()
    sms.outbox.clear()
    with time_machine.travel(MORNING.replace(hour=9, minute=1), tick=False):
        send_due_digests(timezone.now())
        deliver_due()
    assert [(to, "1 条" in body) for to, body in sms.outbox] == [("13700137000", True)]


def test_turning_the_digest_on_does_not_repeat_what_was_already_sent(store, file):
    with time_machine.travel(MORNING - timedelta(hours=3), tick=False):
        complaint = file()
        services.withdraw_complaint(complaint=complaint, actor=complaint.consumer)
    with time_machine.travel(MORNING - timedelta(hours=1), tick=False):
        _on_digest(store.owner, timezone.now())
    with time_machine.travel(MORNING.replace(hour=9, minute=1), tick=False):
        send_due_digests(timezone.now())
        deliver_due()
    assert _digests_to(store.owner.email) == []
