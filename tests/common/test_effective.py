"""Policies and rules are read once a minute per process, and at once after a change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common import effective
from disputes.models import CompensationRule, DeadlinePolicy
from disputes.selectors import compensation_rule

pytestmark = pytest.mark.django_db


def test_the_rules_are_read_once_and_then_from_memory():
    now = timezone.now()
    compensation_rule(now)
    with CaptureQueriesContext(connection) as queries:
        compensation_rule(now)
        compensation_rule(now - timedelta(days=300))
    assert len(queries) == 0


def test_a_saved_rule_is_seen_at_once(monkeypatch):
    now = timezone.now()
    assert compensation_rule(now).counterfeit_multiple == Decimal("4")
    CompensationRule.objects.create(
        effective_from=now - timedelta(seconds=1), counterfeit_multiple=5
    )
    assert compensation_rule(now).counterfeit_multiple == Decimal("5")


def test_the_copy_is_read_again_after_a_minute(monkeypatch):
    now = timezone.now()
    compensation_rule(now)
    # A rule another server saved: this process has not heard of it.
    CompensationRule.objects.bulk_create(
        [CompensationRule(effective_from=now - timedelta(seconds=1), counterfeit_multiple=6)]
    )
    assert compensation_rule(now).counterfeit_multiple == Decimal("4")
    clock = effective.time.monotonic() + effective.TTL_SECONDS + 1
    monkeypatch.setattr(effective.time, "monotonic", lambda: clock)
    assert compensation_rule(now).counterfeit_multiple == Decimal("6")


def test_each_kind_of_row_is_kept_apart():
    now = timezone.now()
    assert DeadlinePolicy.in_force(now) is not None
    assert CompensationRule.in_force(now) is not None
    assert not isinstance(DeadlinePolicy.in_force(now), CompensationRule)
