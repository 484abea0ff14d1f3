"""Staff do on complaints only what their owner granted, whatever page or call they use,
and every step they take carries their name."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disputes import services
from disputes.admin.history import history_of
from disputes.models import Complaint, Evidence, Message, Offer
from disputes.timeline import timeline
from merchants import services as staff_services
from tests.disputes.test_appeals import _after
from tests.disputes.test_review import png, reload
from tests.factories import MerchantMemberFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


@pytest.fixture
def reader(store):
    """A member who may read the store's complaints, nothing more."""
    return MerchantMemberFactory(
        merchant=store.merchant, may_answer=False, user__display_name="何琳"
    ).user


@pytest.fixture
def limited(store):
    """A member who answers and settles up to ¥500."""
    return MerchantMemberFactory(
        merchant=store.merchant, offer_limit=Decimal("500.00"), user__display_name="吴倩"
    ).user


@pytest.fixture
def answerer(store):
    """A member who answers but may not settle money."""
    return MerchantMemberFactory(merchant=store.merchant, user__display_name="孙悦").user


def _seller_page(client, user, complaint) -> str:
    client.force_login(user)
    response = client.get(
        reverse("disputes:seller_complaint", args=[complaint.number]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    return response.content.decode()


# --- answering --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "act",
    [
        lambda c, u: services.refuse_claim(complaint=c, actor=u, reason="不同意。"),
        lambda c, u: services.accept_claim(complaint=c, actor=u),
        lambda c, u: services.make_offer(
            complaint=c, actor=u, refund=Decimal("10.00"), compensation_amount=Decimal("0")
        ),
        lambda c, u: services.post_message(complaint=c, author=u, body="您好"),
        lambda c, u: services.add_evidence_files(
            complaint=c, uploader=u, kind="photo", files=[png()]
        ),
    ],
    ids=["refuse", "accept", "offer", "message", "evidence"],
)
def test_a_member_without_the_answer_grant_is_refused_and_told_why(complaint, reader, act):
    with pytest.raises(ValidationError) as refused:
        act(complaint, reader)
    assert "has not allowed you to answer complaints" in str(refused.value)
    complaint = reload(complaint)
    assert (complaint.status, complaint.merchant_answer) == (S.NEGOTIATING, "")
    assert not Message.objects.exists() and not Evidence.objects.exists()
    assert not Offer.objects.exists()


def test_a_reader_sees_the_complaint_without_any_way_to_act(client, complaint, reader):
    page = _seller_page(client, reader, complaint)
    assert "lets you read complaints, not answer them" in page
    for action in ("accept", "offer", "refuse"):
        assert reverse("disputes:seller_action", args=[complaint.number, action]) not in page
    assert reverse("disputes:seller_message", args=[complaint.number]) not in page
    assert reverse("disputes:seller_evidence", args=[complaint.number]) not in page


def test_posting_past_the_page_changes_nothing_and_says_why(client, complaint, reader):
    client.force_login(reader)
    url = reverse("disputes:seller_action", args=[complaint.number, "refuse"])
    response = client.post(url, {"reason": "不同意。"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "has not allowed you to answer complaints" in response.content.decode()
    client.post(reverse("disputes:seller_message", args=[complaint.number]), {"body": "您好"})
    assert reload(complaint).merchant_answer == ""
    assert not Message.objects.exists()


def test_answering_staff_may_refuse_write_and_add_evidence(complaint, answerer):
    services.post_message(complaint=complaint, author=answerer, body="请提供照片。")
    services.add_evidence_files(complaint=complaint, uploader=answerer, kind="photo", files=[png()])
    services.refuse_claim(complaint=complaint, actor=answerer, reason="商品与描述一致。")
    assert reload(complaint).merchant_answer == Complaint.MerchantAnswer.REFUSED


def test_only_granted_staff_answer_the_platform_and_appeals(complaint, store, consumer, reader):
    _after("rejected", complaint, store, consumer)
    with pytest.raises(ValidationError, match="answer complaints"):
        services.appeal_complaint(complaint=complaint, actor=reader, reason="理由")
    services.appeal_complaint(complaint=complaint, actor=consumer, reason="新证据。")
    with pytest.raises(ValidationError, match="answer complaints"):
        services.respond_to_appeal(complaint=complaint, actor=reader, response="不同意。")
    services.respond_to_appeal(complaint=complaint, actor=store.staff, response="不同意。")
    assert reload(complaint).appeal_record.responded_by == store.staff


# --- settling within the limit ----------------------------------------------------------


def test_an_offer_within_the_limit_is_made(complaint, limited):
    offer = services.make_offer(
        complaint=complaint,
        actor=limited,
        refund=Decimal("199.00"),
        compensation_amount=Decimal("301.00"),  # ¥500 exactly: the limit is inclusive
    )
    assert (offer.total, offer.made_by) == (Decimal("500.00"), limited)


def test_an_offer_above_the_limit_is_refused_with_the_limit_and_changes_nothing(
    client, complaint, limited
):
    with pytest.raises(ValidationError) as refused:
        services.make_offer(
            complaint=complaint,
            actor=limited,
            refund=Decimal("199.00"),
            compensation_amount=Decimal("301.01"),
        )
    assert str(refused.value.messages[0]) == (
        "You may settle complaints up to ¥500.00; ¥500.01 is above it. Ask your store owner."
    )
    assert refused.value.code == "above_limit"

    client.force_login(limited)
    url = reverse("disputes:seller_action", args=[complaint.number, "offer"])
    response = client.post(
        url, {"refund": "199.00", "compensation": "800.00"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "¥999.00 is above it" in response.content.decode()
    assert not Offer.objects.exists()
    assert reload(complaint).merchant_answer == ""


def test_staff_without_a_limit_cannot_offer_or_accept(client, complaint, answerer):
    for act in (
        lambda: services.make_offer(
            complaint=complaint,
            actor=answerer,
            refund=Decimal("1.00"),
            compensation_amount=Decimal("0"),
        ),
        lambda: services.accept_claim(complaint=complaint, actor=answerer),
    ):
        with pytest.raises(ValidationError, match="make offers or accept claims"):
            act()
    page = _seller_page(client, answerer, complaint)
    assert "has not allowed you to make offers or accept claims" in page
    assert reverse("disputes:seller_action", args=[complaint.number, "offer"]) not in page
    assert reverse("disputes:seller_action", args=[complaint.number, "refuse"]) in page


def test_accepting_a_claim_above_the_limit_is_refused_as_an_offer_would_be(complaint, store):
    """Accepting commits the store to the claimed amount (¥199 here), as an offer would."""
    below = MerchantMemberFactory(merchant=store.merchant, offer_limit=Decimal("100.00")).user
    with pytest.raises(ValidationError, match=re.escape("up to ¥100.00; ¥199.00 is above it")):
        services.accept_claim(complaint=complaint, actor=below)
    assert reload(complaint).status == S.NEGOTIATING

    enough = MerchantMemberFactory(merchant=store.merchant, offer_limit=Decimal("199.00")).user
    assert services.accept_claim(complaint=complaint, actor=enough).status == S.SETTLED


def test_the_seller_page_shows_the_limit_and_offers_only_what_is_within_it(
    client, complaint, limited
):
    page = _seller_page(client, limited, complaint)
    assert "You may make offers and accept claims up to ¥500.00." in page
    assert reverse("disputes:seller_action", args=[complaint.number, "offer"]) in page
    assert reverse("disputes:seller_action", args=[complaint.number, "accept"]) in page


def test_a_change_of_grants_holds_from_the_next_call(complaint, store, limited):
    staff_services.change_staff_grants(
        actor=store.owner,
        member=limited.merchant_membership,
        grants=staff_services.Grants(may_answer=False),
    )
    limited.refresh_from_db()  # a new request reads the membership afresh
    with pytest.raises(ValidationError, match="answer complaints"):
        services.make_offer(
            complaint=complaint,
            actor=limited,
            refund=Decimal("10.00"),
            compensation_amount=Decimal("0"),
        )


# --- the person's name on every step of the store -----------------------------------------


def _named(steps, title_part):
    return [(step.party, step.person) for step in steps if title_part in step.title]


def test_every_staff_step_names_the_person_to_each_reader(complaint, store, limited):
    services.post_message(complaint=complaint, author=limited, body="请提供照片。")
    services.add_evidence_files(complaint=complaint, uploader=limited, kind="photo", files=[png()])
    services.make_offer(
        complaint=complaint,
        actor=limited,
        refund=Decimal("100.00"),
        compensation_amount=Decimal("0"),
    )
    complaint = reload(complaint)
    store_name = store.merchant.name
    messages = list(complaint.messages.all())

    for_consumer = timeline(complaint, messages=messages, viewer="consumer")
    for_store = timeline(complaint, messages=messages, viewer="merchant")

    for title in ("Message", "Evidence added", "The merchant made an offer"):
        assert _named(for_consumer, title) == [("merchant", f"{store_name} · 吴倩")]
        assert _named(for_store, title) == [("merchant", "吴倩 (staff)")]
    # The consumer's own steps name nobody: they are the consumer's.
    assert _named(for_consumer, "Complaint filed") == [("consumer", "")]


def test_the_owners_steps_show_the_store_to_the_consumer(complaint, store):
    services.refuse_claim(complaint=complaint, actor=store.owner, reason="不同意。")
    complaint = reload(complaint)
    for_consumer = timeline(complaint, messages=[], viewer="consumer")
    for_store = timeline(complaint, messages=[], viewer="merchant")
    assert _named(for_consumer, "refused") == [("merchant", store.merchant.name)]
    owner_name = store.owner.display_name
    assert _named(for_store, "refused") == [("merchant", f"{owner_name} (owner)")]


def test_a_removed_members_steps_keep_their_name_and_stay_the_stores(complaint, store, limited):
    services.refuse_claim(complaint=complaint, actor=limited, reason="不同意。")
    staff_services.remove_staff(actor=store.owner, member=limited.merchant_membership)
    complaint = reload(complaint)

    for_store = timeline(complaint, messages=[], viewer="merchant")
    for_consumer = timeline(complaint, messages=[], viewer="consumer")

    assert _named(for_store, "refused") == [("merchant", "吴倩 (former staff)")]
    assert _named(for_consumer, "refused") == [("merchant", f"{store.merchant.name} · 吴倩")]
    (row,) = [r for r in history_of(complaint) if r.what == "The merchant refused"]
    assert (row.who, row.role) == ("吴倩", "Merchant (former staff)")


def test_the_pages_and_the_case_file_show_the_names(client, complaint, store, consumer, limited):
    services.post_message(complaint=complaint, author=limited, body="请提供照片。")
    seller = _seller_page(client, store.owner, complaint)
    assert "吴倩 (staff)" in seller

    client.force_login(consumer)
    page = client.get(reverse("disputes:complaint", args=[complaint.number])).content.decode()
    assert f"{store.merchant.name} · 吴倩" in page
    case_file = client.get(reverse("disputes:consumer_case_file", args=[complaint.number]))
    assert f"{store.merchant.name} · 吴倩" in case_file.content.decode()
    assert limited.username not in page  # a staff member's login is their own
