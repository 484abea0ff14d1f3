"""Each notice reaches each person in their language, on the channels they chose."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import date_format

from deposits import services as ledger
from disputes import notifications, services
from disputes.notifications import TOPICS
from outbox import sms
from outbox.services import deliver_due
from tests.factories import (
    ComplaintFactory,
    ConsumerFactory,
    DepositAccountFactory,
    MerchantMemberFactory,
)

pytestmark = pytest.mark.django_db


def _mail_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_every_event_belongs_to_exactly_one_topic():
    listed = [event for _label, events in TOPICS.values() for event in events]
    assert sorted(listed) == sorted(notifications.EVENTS)


def test_each_recipient_reads_the_e_mail_in_their_own_language(store, file):
    store.owner.language = "en"
    store.owner.save()
    store.staff.language = ""  # the platform's language
    store.staff.save()

    complaint = file()
    deliver_due()

    (english,) = _mail_to(store.owner.email)
    (chinese,) = _mail_to(store.staff.email)
    assert f"New complaint {complaint.number}" in english.body
    assert f"新投诉 {complaint.number}" in chinese.body
    assert "[Deposit Claims]" in english.subject and "【保证金理赔】" in chinese.subject


def test_a_mobile_only_account_is_told_by_text_message(store, order):
    buyer = ConsumerFactory(username="13800138000", email="")
    order.consumer = buyer
    order.save()
    complaint = services.file_complaint(
        order=order,
        consumer=buyer,
        kind="description_mismatch",
        description="颜色不符",
        claimed_amount=order.goods_amount,
    )
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="没有问题")
    deliver_due()

    bodies = [body for to, body in sms.outbox if to == "13800138000"]
    body = bodies[0]
    assert complaint.number in body and "http" in body
    assert not [m for m in mail.outbox if "13800138000" in m.to]


def test_a_topic_turned_off_for_e_mail_stays_on_the_notifications_page(store, consumer, file):
    complaint = file()
    services.save_notification_settings(
        user=consumer,
        muted={notifications.muted(notifications.MESSAGES, notifications.EMAIL)},
        daily_digest=False,
        language="en",
        now=timezone.now(),
    )
    consumer.refresh_from_db()
    mail.outbox.clear()

    services.post_message(complaint=complaint, author=store.owner, body="请提供照片")
    deliver_due()

    assert _mail_to(consumer.email) == []
    assert consumer.notifications.filter(event="message").exists()


def test_what_needs_action_cannot_be_turned_off_everywhere(consumer):
    with pytest.raises(ValidationError) as refused:
        services.save_notification_settings(
            user=consumer,
            muted={notifications.muted(notifications.ACTION, notifications.EMAIL)},
            daily_digest=False,
            language="zh-hans",
            now=timezone.now(),
        )
    assert refused.value.code == "action_muted"
    consumer.refresh_from_db()
    assert consumer.muted_notices == []


def test_a_channel_the_account_cannot_receive_is_refused(consumer):
    with pytest.raises(ValidationError):
        services.save_notification_settings(
            user=consumer,
            muted={notifications.muted(notifications.UPDATES, notifications.SMS)},
            daily_digest=False,
            language="zh-hans",
            now=timezone.now(),
        )


def test_the_daily_digest_is_for_a_store_s_people(consumer):
    with pytest.raises(ValidationError) as refused:
        services.save_notification_settings(
            user=consumer, muted=set(), daily_digest=True, language="en", now=timezone.now()
        )
    assert refused.value.code == "digest_not_for_consumers"


def test_a_store_member_on_the_digest_still_hears_at_once_what_needs_action(store, file):
    services.save_notification_settings(
        user=store.owner, muted=set(), daily_digest=True, language="en", now=timezone.now()
    )
    store.owner.refresh_from_db()
    complaint = file()
    services.withdraw_complaint(complaint=complaint, actor=complaint.consumer)
    deliver_due()

    bodies = [m.body for m in _mail_to(store.owner.email)]
    assert len(bodies) == 1 and "New complaint" in bodies[0]


def test_a_staff_member_joining_the_store_gets_its_notices_too(store, file):
    late = MerchantMemberFactory(merchant=store.merchant, role="staff").user
    file()
    deliver_due()
    assert len(_mail_to(late.email)) == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Deposit top-up required"), ("zh-hans", "保证金待补缴"), ("", "保证金待补缴")],
)
def test_deposit_notices_reach_the_store_in_each_person_s_language(language, expected):
    account = DepositAccountFactory(paid_in=Decimal("20000.00"))
    owner = MerchantMemberFactory(merchant=account.merchant, role="owner", user__language=language)
    mobile = MerchantMemberFactory(
        merchant=account.merchant,
        may_see_deposit=True,
        user__username="13900139000",
        user__email="",
    ).user
    MerchantMemberFactory(merchant=account.merchant, user__username="13900139001", user__email="")

    ledger.request_top_up(account=account, now=timezone.now())
    deliver_due()

    (notice,) = _mail_to(owner.user.email)
    assert expected in notice.subject
    # Staff not granted the deposit are not told about it.
    assert [to for to, _body in sms.outbox] == [mobile.username]


def test_a_batch_of_notices_tells_each_reader_their_own_complaint_and_time_in_their_language():
    english, chinese = ConsumerFactory(language="en"), ConsumerFactory(language="zh-hans")
    first, second = ComplaintFactory(), ComplaintFactory()
    due = timezone.now() + timedelta(days=2)

    notifications.notify_many(
        [
            notifications.Notice(
                [english, chinese], complaint, "reminder", f"/c/{complaint.number}/", {"due": due}
            )
            for complaint in (first, second)
        ]
    )
    deliver_due()

    for reader, language, wording in ((english, "en", "Reminder"), (chinese, "zh-hans", "提醒")):
        with translation.override(language):
            shown_due = date_format(timezone.localtime(due), "DATETIME_FORMAT")
        for complaint, message in zip((first, second), _mail_to(reader.email), strict=True):
            assert complaint.number in message.subject
            assert wording in message.body and complaint.number in message.body
            assert shown_due in message.body
            assert f"/c/{complaint.number}/" in message.body
