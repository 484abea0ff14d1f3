"""What a party's page of a complaint reads besides its case file: the messages both parties
see and the complaint's transitions, each only this complaint's, and each compiled once per
process; and the forms it builds, only those it shows."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.forms import BaseForm
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import selectors, services
from disputes.models import Decision, Message
from disputes.timeline import timeline
from tests.compiling import compiled_reads, reading
from tests.factories import ComplaintFactory, MessageFactory, PlatformUserFactory

pytestmark = pytest.mark.django_db


def test_the_parties_see_their_messages_oldest_first_with_no_internal_note(complaint, store):
    now = timezone.now()
    later = MessageFactory(complaint=complaint, created_at=now)
    earlier = MessageFactory(
        complaint=complaint,
        author=store.owner,
        party="merchant",
        created_at=now - timedelta(hours=1),
    )
    MessageFactory(
        complaint=complaint, author=PlatformUserFactory(), party="platform", internal=True
    )
    MessageFactory(complaint=ComplaintFactory())

    shown = selectors.messages_visible_to_parties(complaint)

    assert [message.pk for message in shown] == [earlier.pk, later.pk]
    assert Message.author.is_cached(shown[0])
    assert shown[0].author == store.owner


def test_the_timeline_shows_this_complaints_transitions_and_no_other_records(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意。")
    other = ComplaintFactory()
    # Another record that happens to share the complaint's key, and another complaint's
    # transition: neither belongs on this complaint's page.
    for content_type, object_id in (
        (ContentType.objects.get_for_model(Decision), complaint.pk),
        (ContentType.objects.get_for_model(other), other.pk),
    ):
        StateLog.objects.create(
            content_type=content_type,
            object_id=object_id,
            transition="withdraw",
            source_state="negotiating",
            state="withdrawn",
        )

    steps = timeline(complaint, messages=[], viewer="consumer")

    assert [step.title for step in steps] == ["Complaint filed", "The merchant refused"]
    assert steps[1].person == store.merchant.name


def test_a_warm_complaint_page_compiles_no_read_of_its_messages_or_transitions(
    client, complaint, consumer, store
):
    MessageFactory(complaint=complaint)
    consumer_page = reverse("disputes:complaint", args=[complaint.number])
    store_page = reverse("disputes:seller_complaint", args=[complaint.number])
    client.force_login(consumer)
    client.get(consumer_page)

    with compiled_reads() as compiled:
        shown = client.get(consumer_page)
        client.force_login(store.owner)
        shown_to_store = client.get(store_page)

    assert shown.status_code == shown_to_store.status_code == 200
    assert "请尽快处理。" in shown.content.decode()
    assert "请尽快处理。" in shown_to_store.content.decode()
    assert reading(compiled, "disputes_message", "django_fsm_log_statelog") == []


@pytest.mark.parametrize("viewer", ["consumer", "store"])
def test_a_complaint_page_builds_only_the_forms_its_stage_shows(client, complaint, viewer, store):
    client.force_login(complaint.consumer if viewer == "consumer" else store.owner)
    page_name = "disputes:complaint" if viewer == "consumer" else "disputes:seller_complaint"
    built = []
    build = BaseForm.__init__

    def recording(form, *args, **kwargs):
        built.append(type(form).__name__)
        build(form, *args, **kwargs)

    with mock.patch.object(BaseForm, "__init__", recording):
        page = client.get(reverse(page_name, args=[complaint.number]))

    assert page.status_code == 200
    assert 'name="body"' in page.content.decode()
    assert "MessageForm" in built
    later_stages = {"AppealForm", "AppealResponseForm", "PaymentProofForm", "InfoAnswerForm"}
    assert later_stages.isdisjoint(built)
