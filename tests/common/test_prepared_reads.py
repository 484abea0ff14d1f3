"""A read compiled once per process returns what its queryset returns."""

import gc
import threading
import weakref
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from common.prepared import PreparedCount, PreparedPrefetch, PreparedRead
from deposits.models import DepositAccount
from disputes.admin.case_file import load_case_file
from disputes.models import Complaint, Evidence
from disputes.selectors import complaint_for_consumer
from merchants.models import MerchantMember
from tests.compiling import compiled_reads
from tests.disputes.test_review import senior_user
from tests.factories import (
    ComplaintFactory,
    ConsumerFactory,
    DepositAccountFactory,
    EvidenceFactory,
    MerchantMemberFactory,
)

pytestmark = pytest.mark.django_db

USER_WITH_STORE = PreparedRead(
    lambda pk: User.objects.select_related("merchant_membership__merchant").filter(pk=pk)
)


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_a_prepared_read_returns_the_row_as_the_queryset_does():
    member = MerchantMemberFactory(offer_limit=Decimal("250.00"))
    member.user.muted_notices = ["reminder"]
    member.user.save()
    expected = User.objects.select_related("merchant_membership__merchant").get(pk=member.user_id)

    user = USER_WITH_STORE.get(member.user_id)

    assert _fields(user) == _fields(expected)
    assert user._state.adding is False
    assert user._state.db == "default"
    assert _fields(user.merchant_membership) == _fields(expected.merchant_membership)
    store, expected_store = user.merchant_membership.merchant, expected.merchant_membership.merchant
    assert _fields(store) == _fields(expected_store)


def test_a_missing_related_row_is_known_missing_without_another_read():
    consumer = ConsumerFactory()
    user = USER_WITH_STORE.get(consumer.pk)

    with CaptureQueriesContext(connection) as queries:
        assert User.merchant_membership.is_cached(user)
        assert not hasattr(user, "merchant_membership")
    assert queries.captured_queries == []


def test_no_row_is_none():
    assert USER_WITH_STORE.get(987_654_321) is None


def test_it_runs_one_statement_and_compiles_it_once_per_process(monkeypatch):
    member = MerchantMemberFactory()
    other = ConsumerFactory()
    USER_WITH_STORE.get(member.user_id)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )

    with CaptureQueriesContext(connection) as queries:
        assert USER_WITH_STORE.get(member.user_id).pk == member.user_id
        assert USER_WITH_STORE.get(other.pk).pk == other.pk

    assert len(queries.captured_queries) == 2
    assert compiled == []


def test_rows_are_a_values_list_querysets_rows_converted_as_it_converts_them():
    owner = MerchantMemberFactory(role=MerchantMember.Role.OWNER, offer_limit=Decimal("80.00"))
    MerchantMemberFactory(merchant=owner.merchant, offer_limit=Decimal("12.50"))
    MerchantMemberFactory()
    members_of = PreparedRead(
        lambda store: (
            MerchantMember.objects.filter(merchant_id=store)
            .values_list("user__username", "offer_limit", "added_at")
            .order_by("id")
        )
    )
    expected = list(
        MerchantMember.objects.filter(merchant_id=owner.merchant_id)
        .values_list("user__username", "offer_limit", "added_at")
        .order_by("id")
    )

    assert members_of.rows(owner.merchant_id) == expected
    assert members_of.rows(987_654_321) == []


def test_more_than_one_row_is_an_error():
    owner = MerchantMemberFactory(role=MerchantMember.Role.OWNER)
    MerchantMemberFactory(merchant=owner.merchant)
    by_store = PreparedRead(lambda store: MerchantMember.objects.filter(merchant_id=store))
    with pytest.raises(MerchantMember.MultipleObjectsReturned):
        by_store.get(owner.merchant_id)


def test_a_queryset_that_does_not_filter_on_its_key_once_is_refused():
    with pytest.raises(ValueError, match="exactly once"):
        PreparedRead(lambda pk: User.objects.all()).get(1)


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_ended_leaves_its_connection_to_be_collected():
    member = MerchantMemberFactory()
    USER_WITH_STORE.get(member.user_id)
    seen = {}

    def read_in_another_thread():
        seen["user"] = USER_WITH_STORE.get(member.user_id)
        seen["connection"] = weakref.ref(connections[DEFAULT_DB_ALIAS])
        connections.close_all()

    thread = threading.Thread(target=read_in_another_thread)
    thread.start()
    thread.join()
    gc.collect()

    assert seen["user"].pk == member.user_id
    assert seen["connection"]() is None


def test_all_returns_every_row_as_an_instance_in_the_querysets_order():
    owner = MerchantMemberFactory(role=MerchantMember.Role.OWNER)
    staff = MerchantMemberFactory(merchant=owner.merchant)
    MerchantMemberFactory()
    staff_of = PreparedRead(
        lambda store: (
            MerchantMember.objects.filter(merchant_id=store).select_related("user").order_by("-pk")
        )
    )

    members = staff_of.all(owner.merchant_id)

    assert [m.pk for m in members] == [staff.pk, owner.pk]
    assert [_fields(m.user) for m in members] == [_fields(staff.user), _fields(owner.user)]
    assert staff_of.all(987_654_321) == []


def _with_annotations(members):
    owners = MerchantMember.objects.filter(merchant=OuterRef("merchant"), role="owner")
    return members.annotate(owner_of_store=Exists(owners), login=F("user__username"))


def test_annotations_are_set_on_each_instance_as_the_queryset_sets_them():
    owner = MerchantMemberFactory(role=MerchantMember.Role.OWNER)
    staff = MerchantMemberFactory(merchant=owner.merchant)
    MerchantMemberFactory()
    members_of = PreparedRead(
        lambda store: _with_annotations(
            MerchantMember.objects.filter(merchant_id=store).select_related("user").order_by("pk")
        )
    )
    expected = _with_annotations(
        MerchantMember.objects.filter(merchant_id=owner.merchant_id).order_by("pk")
    )

    members = members_of.all(owner.merchant_id)

    assert [(m.pk, m.owner_of_store, m.login) for m in members] == [
        (m.pk, m.owner_of_store, m.login) for m in expected
    ]
    assert [(m.owner_of_store, m.login) for m in members] == [
        (True, owner.user.username),
        (True, staff.user.username),
    ]
    assert members[0].user == owner.user


def test_keys_of_several_types_each_go_to_their_own_place():
    earlier = ConsumerFactory(username="earlier@example.com")
    later = ConsumerFactory(username="later@example.com")
    User.objects.filter(pk=earlier.pk).update(date_joined=timezone.now() - timedelta(days=10))
    joined_since = PreparedRead(
        lambda username, since, pk: User.objects.filter(
            username=username, date_joined__gt=since, pk__gte=pk
        ).values_list("pk"),
        keys=(str, datetime, int),
    )
    week_ago = timezone.now() - timedelta(days=7)

    assert joined_since.rows(later.username, week_ago, 0) == [(later.pk,)]
    assert joined_since.rows(earlier.username, week_ago, 0) == []
    assert joined_since.rows(earlier.username, week_ago - timedelta(days=7), 0) == [(earlier.pk,)]
    assert joined_since.rows(later.username, week_ago, later.pk + 1) == []


def test_a_call_with_the_wrong_number_of_keys_is_refused():
    by_pk = PreparedRead(lambda pk: User.objects.filter(pk=pk))
    with pytest.raises(TypeError, match="1 key"):
        by_pk.get(1, 2)


def test_each_key_needs_its_type():
    with pytest.raises(TypeError, match="type of each key"):
        PreparedRead(lambda pk, since: User.objects.filter(pk=pk), keys=(int,))
    with pytest.raises(TypeError, match="int, a str or a datetime"):
        PreparedRead(lambda pk: User.objects.filter(pk=pk), keys=(float,)).get(1.0)


def test_get_reads_its_row_without_the_models_default_ordering_as_queryset_get_does():
    """DepositAccount is ordered by its store's name: an ordered read would join the store,
    and a locking read would lock the store's row as well."""
    account = DepositAccountFactory()
    locked = PreparedRead(
        lambda pk: DepositAccount.objects.select_for_update(no_key=True).filter(pk=pk)
    )

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert locked.get(account.pk).pk == account.pk
        assert [row.pk for row in locked.all(account.pk)] == [account.pk]

    [one_row, every_row] = [q["sql"] for q in queries.captured_queries]
    assert "JOIN" not in one_row and "ORDER BY" not in one_row
    assert "ORDER BY" in every_row


# --- PreparedPrefetch -------------------------------------------------------------------

ITS_EVIDENCE = PreparedPrefetch(
    "evidence", lambda pk: Evidence.objects.select_related("uploaded_by").filter(complaint_id=pk)
)


def _compiles(monkeypatch) -> list:
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    return compiled


def test_a_prepared_prefetch_hands_over_the_rows_prefetch_related_reads(django_assert_num_queries):
    complaint = ComplaintFactory()
    EvidenceFactory.create_batch(3, complaint=complaint)
    EvidenceFactory(complaint=ComplaintFactory())
    expected = list(
        Complaint.objects.prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by"))
        )
        .get(pk=complaint.pk)
        .evidence.all()
    )
    complaint = Complaint.objects.get(pk=complaint.pk)

    with django_assert_num_queries(1):
        rows = ITS_EVIDENCE(complaint)
    with django_assert_num_queries(0):
        shown = list(complaint.evidence.all())
        owners = [row.complaint for row in shown]
        uploaders = [row.uploaded_by for row in shown]

    assert shown == rows == expected
    assert [_fields(row) for row in shown] == [_fields(row) for row in expected]
    assert all(owner is complaint for owner in owners)
    assert uploaders == [row.uploaded_by for row in expected]


def test_an_instance_without_rows_reads_none_again(django_assert_num_queries):
    complaint = ComplaintFactory()

    assert ITS_EVIDENCE(complaint) == []
    with django_assert_num_queries(0):
        assert list(complaint.evidence.all()) == []


def test_a_prepared_prefetch_compiles_its_query_once_per_process(monkeypatch):
    first, second = ComplaintFactory(), ComplaintFactory()
    ITS_EVIDENCE(first)
    compiled = _compiles(monkeypatch)

    ITS_EVIDENCE(second)

    assert compiled == []


def test_the_console_case_file_of_a_new_complaint_compiles_no_query_after_the_first(monkeypatch):
    first, second = ComplaintFactory(), ComplaintFactory()
    load_case_file(first.pk)
    compiled = _compiles(monkeypatch)

    case = load_case_file(second.pk)

    assert case.pk == second.pk
    assert compiled == []


def test_a_partys_case_file_of_a_new_complaint_compiles_no_query_after_the_first(monkeypatch):
    first, second = ComplaintFactory(), ComplaintFactory()
    complaint_for_consumer(first.consumer, first.number)
    compiled = _compiles(monkeypatch)

    case = complaint_for_consumer(second.consumer, second.number)

    assert case.pk == second.pk
    assert compiled == []


@pytest.mark.parametrize("key", [2**63, -(2**63) - 1, 10**20], ids=["2**63", "-2**63-1", "10**20"])
def test_a_key_no_integer_column_can_hold_finds_nothing_without_a_query(key):
    ConsumerFactory()

    with CaptureQueriesContext(connection) as queries:
        assert USER_WITH_STORE.get(key) is None
        assert USER_WITH_STORE.all(key) == []

    assert queries.captured_queries == []


def test_the_case_page_of_a_number_too_large_for_any_row_is_not_found(client):
    client.force_login(senior_user())

    for path in ("change", "take"):
        response = client.get(f"/admin/disputes/complaint/{10**20}/{path}/")
        assert response.status_code in (302, 404), path


def test_a_prepared_count_counts_the_querysets_rows_up_to_its_bound(django_assert_num_queries):
    consumer = ConsumerFactory()
    ComplaintFactory.create_batch(4, consumer=consumer, order__consumer=consumer)
    ComplaintFactory()
    of_consumer = PreparedCount(lambda user_id: Complaint.objects.filter(consumer=user_id))

    with django_assert_num_queries(1) as queries:
        assert of_consumer.count(consumer.pk, up_to=3) == 3
    assert of_consumer.count(consumer.pk, up_to=10) == 4
    assert of_consumer.count(ConsumerFactory().pk, up_to=10) == 0
    assert of_consumer.count(2**70, up_to=10) == 0
    assert "LIMIT" in queries.captured_queries[0]["sql"].upper()


def test_a_prepared_count_compiles_once_whatever_its_bound():
    of_store = PreparedCount(lambda merchant_id: Complaint.objects.filter(merchant=merchant_id))
    complaint = ComplaintFactory()
    of_store.count(complaint.merchant_id, up_to=1)
    with compiled_reads() as compiled:
        assert [of_store.count(complaint.merchant_id, up_to=n) for n in (1, 5, 50)] == [1, 1, 1]
    assert compiled == []
