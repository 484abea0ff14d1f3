"""A party's case file: their own complaint only, with everything its page shows, the
complaint's read compiled once per process."""

import pytest
from django.http import Http404

from disputes import selectors
from tests.compiling import compiled_reads, reading
from tests.factories import ConsumerFactory

pytestmark = pytest.mark.django_db


def test_the_consumer_gets_their_complaint_with_its_order_store_and_records(
    complaint, consumer, store, django_assert_num_queries
):
    evidence = set(complaint.evidence.values_list("pk", flat=True))
    found = selectors.complaint_for_consumer(consumer, complaint.number)

    assert found.pk == complaint.pk
    with django_assert_num_queries(0):
        assert found.order.pk == complaint.order_id
        assert found.merchant == store.merchant
        assert found.consumer == consumer
        assert {e.pk for e in found.evidence.all()} == evidence
        assert list(found.offers.all()) == []
        assert list(found.decisions.all()) == []
        assert selectors.consumer_payouts(found) == []


def test_the_store_gets_its_complaint_with_the_same_case_file(complaint, store):
    found = selectors.complaint_for_merchant(store.merchant, complaint.number)
    assert found.pk == complaint.pk
    assert "evidence" in found._prefetched_objects_cache


def test_another_consumers_or_stores_complaint_or_an_unknown_number_is_not_found(
    complaint, other_store
):
    with pytest.raises(Http404):
        selectors.complaint_for_consumer(ConsumerFactory(), complaint.number)
    with pytest.raises(Http404):
        selectors.complaint_for_merchant(other_store.merchant, complaint.number)
    with pytest.raises(Http404):
        selectors.complaint_for_consumer(complaint.consumer, "TS-NO-SUCH")


def test_a_warm_case_file_compiles_none_of_its_complaint_reads(complaint, consumer, store):
    selectors.complaint_for_consumer(consumer, complaint.number)
    selectors.complaint_for_merchant(store.merchant, complaint.number)

    with compiled_reads() as compiled:
        selectors.complaint_for_consumer(consumer, complaint.number)
        selectors.complaint_for_merchant(store.merchant, complaint.number)

    assert reading(compiled, "disputes_complaint") == []
