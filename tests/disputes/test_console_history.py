"""The case page tells the complaint's history in words: who (name and role), what, when
(local time) and why; the raw transition log is for superusers only."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from disputes import services
from tests.disputes.test_review import escalate, reviewer_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def history_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="case-history">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_the_history_says_who_did_what_when_and_why(
    client, complaint, store, consumer, time_machine
):
    time_machine.move_to(datetime(2026, 11, 28, 2, 0, tzinfo=UTC), tick=False)
    escalate(complaint, store, consumer)
    reviewer = reviewer_user()
    services.take_case(complaint=complaint, actor=reviewer)
    services.request_info(
        complaint=complaint, actor=reviewer, party="consumer", question="请补充开箱照片。"
    )
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:disputes_complaint_change", args=[complaint.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert history_rows(page) == [
        ["28 Nov 2026, 10:00", f"{store.owner} Merchant (Owner)", "The merchant refused", "不同意"],
        [
            "28 Nov 2026, 10:00",
            f"{consumer} Consumer",
            "The platform stepped in",
            "The consumer asked the platform to step in",
        ],
        ["28 Nov 2026, 10:00", f"{reviewer} Reviewer", "The platform took up the case", ""],
        [
            "28 Nov 2026, 10:00",
            f"{reviewer} Reviewer",
            "A reviewer asked for more information",
            "请补充开箱照片。",
        ],
    ]
    assert "under_review" not in history_rows(page).__repr__()
    assert 'id="statelog' not in page.lower() and "State logs" not in page


def test_a_superuser_also_reaches_the_raw_transition_log(client, complaint, store, consumer):
    escalate(complaint, store, consumer)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(
        reverse("admin:disputes_complaint_change", args=[complaint.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "State logs" in page
    assert 'class="case-history"' in page


def test_the_deadline_system_is_named_as_such(client, complaint, store, consumer):
    escalate(complaint, store, consumer)
    StateLog.objects.filter(transition="escalate").update(by=None)
    client.force_login(reviewer_user())
    page = client.get(
        reverse("admin:disputes_complaint_change", args=[complaint.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert history_rows(page)[1][1:3] == ["— System (deadline)", "The platform stepped in"]
