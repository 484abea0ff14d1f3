"""The console's search: each field by its start, exact results however broad the term."""

import pytest

from disputes import selectors
from disputes.models import Complaint
from tests.factories import ComplaintFactory, ConsumerFactory, MerchantFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _found(term):
    return set(Complaint.objects.filter(selectors.console_search(term)))


@pytest.fixture
def complaints():
    alice = ConsumerFactory(username="alice@example.com", display_name="王小明")
    tea = MerchantFactory(code="teahouse", name="西湖茶庄")
    first = ComplaintFactory(order=OrderFactory(order_number="A10001", consumer=alice))
    second = ComplaintFactory(order=OrderFactory(order_number="B20002", merchant=tea))
    return first, second


@pytest.mark.parametrize(
    ("term", "which"),
    [
        ("A1000", 0),
        ("alice", 0),
        ("ALICE@", 0),
        ("王小", 0),
        ("B2000", 1),
        ("teah", 1),
        ("茶庄", 1),
    ],
)
def test_each_field_is_found_by_its_start(complaints, term, which):
    assert _found(term) == {complaints[which]}


def test_a_complaint_number_is_found_by_its_start_in_either_case(complaints):
    first = complaints[0]
    assert first in _found(first.number[:10].lower())
    assert _found(first.number) == {first}


def test_nothing_matches_nothing(complaints):
    assert _found("zzz-no-such") == set()


def test_a_term_broader_than_the_id_lists_still_finds_every_match(complaints, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_IDS_AT_MOST", 1)
    bob = ConsumerFactory(username="alicia@example.com")
    third = ComplaintFactory(order=OrderFactory(order_number="C30003", consumer=bob))
    assert _found("ali") == {complaints[0], third}
