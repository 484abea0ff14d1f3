"""The bell's count, read on every party page: the reader's unread notices only."""

import pytest
from django.utils import timezone

from disputes import selectors
from tests.compiling import compiled_reads
from tests.factories import ConsumerFactory, NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_bell_counts_the_readers_unread_notices_only():
    reader, other = ConsumerFactory(), ConsumerFactory()
    NotificationFactory.create_batch(3, user=reader)
    NotificationFactory(user=reader, read_at=timezone.now())
    NotificationFactory(user=other)
    assert selectors.unread_notification_count(reader) == 3


def test_nothing_unread_counts_zero():
    reader = ConsumerFactory()
    NotificationFactory(user=reader, read_at=timezone.now())
    assert selectors.unread_notification_count(reader) == 0
    assert selectors.unread_notification_count(ConsumerFactory()) == 0


def test_the_count_is_compiled_once_per_process():
    selectors.unread_notification_count(ConsumerFactory())
    with compiled_reads() as compiled:
        selectors.unread_notification_count(ConsumerFactory())
    assert [sql for sql in compiled if "disputes_notification" in sql] == []
