"""Every change to what moves deadlines or money (holidays, deadline settings, compensation
rules, deposit policies) keeps who made it, when, and what it was before and after."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deposits.models import DepositPolicy
from disputes.models import CompensationRule, Holiday
from tests.factories import SeniorReviewerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(client):
    user = SeniorReviewerFactory()
    client.force_login(user)
    return user


def test_a_holiday_added_renamed_and_deleted_leaves_its_whole_history(client, senior):
    client.post(reverse("admin:disputes_holiday_add"), {"date": "2026-10-01", "name": "国庆"})
    holiday = Holiday.objects.get()
    change = reverse("admin:disputes_holiday_change", args=[holiday.pk])
    client.post(change, {"date": "2026-10-01", "name": "国庆节"})
    client.post(reverse("admin:disputes_holiday_delete", args=[holiday.pk]), {"post": "yes"})

    assert not Holiday.objects.exists()
    added, renamed, deleted = Holiday.history.order_by("history_date", "history_id")
    assert [r.history_type for r in (added, renamed, deleted)] == ["+", "~", "-"]
    assert {r.history_user for r in (added, renamed, deleted)} == {senior}
    [changed] = renamed.diff_against(added).changes
    assert (changed.field, changed.old, changed.new) == ("name", "国庆", "国庆节")
    assert deleted.date.isoformat() == "2026-10-01"


def test_the_console_shows_a_holidays_history(client, senior):
    client.post(reverse("admin:disputes_holiday_add"), {"date": "2026-10-02", "name": "国庆"})
    holiday = Holiday.objects.get()
    page = client.get(reverse("admin:disputes_holiday_history", args=[holiday.pk]))
    assert page.status_code == 200
    assert str(senior) in page.content.decode()


def test_a_new_compensation_rule_records_who_added_it(client, senior):
    later = timezone.localtime(timezone.now() + timedelta(days=2))
    before = CompensationRule.objects.count()
    rule = CompensationRule.objects.order_by("-effective_from").first()
    form = client.get(reverse("admin:disputes_compensationrule_add")).context["adminform"].form
    data = {name: rule.__dict__.get(name) for name in form.fields if name in rule.__dict__}
    data["effective_from_0"] = later.strftime("%Y-%m-%d")
    data["effective_from_1"] = later.strftime("%H:%M:%S")
    data = {k: v for k, v in data.items() if v is not None}

    client.post(reverse("admin:disputes_compensationrule_add"), data)

    assert CompensationRule.objects.count() == before + 1
    newest = CompensationRule.history.latest("history_date")
    assert (newest.history_type, newest.history_user) == ("+", senior)


def test_a_deposit_policy_change_is_recorded_with_its_author(senior):
    policy = DepositPolicy.objects.order_by("-effective_from").first()
    policy.note = "reworded"
    policy._history_user = senior
    policy.save()
    record = policy.history.latest("history_date")
    assert (record.history_type, record.history_user) == ("~", senior)
