"""What the platform writes on a complaint's timeline reads in each reader's language,
whoever's language it was written in."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from common.recorded_text import MARK
from disputes import services
from tests.disputes.test_review import png
from tests.factories import PlatformUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(complaint, store, consumer):
    """An offer made and accepted while the active language was Chinese."""
    with translation.override("zh-hans"):
        services.make_offer(
            complaint=complaint,
            actor=store.owner,
            refund=Decimal("50.00"),
            compensation_amount=Decimal("10.00"),
        )
        return services.accept_offer(complaint=complaint, actor=consumer)


def _page(client, user, url, language):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_description_is_stored_as_its_source_not_in_the_writer_s_language(accepted):
    stored = StateLog.objects.get(transition="accept_offer").description
    assert stored.startswith(MARK) and "接受" not in stored


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Accepted the offer of ¥60.00"), ("zh-hans", "接受了 ¥60.00 的和解方案")],
)
def test_both_parties_read_it_in_their_language(
    client, accepted, consumer, store, language, expected
):
    number = accepted.number
    consumer_page = _page(client, consumer, reverse("disputes:complaint", args=[number]), language)
    seller_page = _page(
        client, store.owner, reverse("disputes:seller_complaint", args=[number]), language
    )
    for page in (consumer_page, seller_page):
        assert expected in page and MARK not in page


def test_the_console_history_reads_it_in_the_reviewer_s_language(client, accepted):
    page = _page(
        client,
        PlatformUserFactory(),
        reverse("admin:disputes_complaint_change", args=[accepted.pk]),
        "en",
    )
    assert "Accepted the offer of ¥60.00" in page and MARK not in page


def test_a_reason_people_typed_stays_as_typed(client, complaint, store, consumer):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="商品无质量问题")
    page = _page(client, consumer, reverse("disputes:complaint", args=[complaint.number]), "en")
    assert "商品无质量问题" in page


def test_evidence_the_platform_describes_reads_in_the_reader_s_language(
    client, complaint, store, consumer
):
    with translation.override("zh-hans"):
        services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意")
        services.escalate_complaint(
            complaint=complaint, actor=consumer, statement="请看照片", files=[png()]
        )
    from disputes.models import Evidence

    assert Evidence.objects.get(complaint=complaint).description.startswith(MARK)
    page = _page(client, consumer, reverse("disputes:complaint", args=[complaint.number]), "en")
    assert "Sent when asking the platform to step in" in page and MARK not in page
