"""A party's list: a first page that is not full costs one query and no COUNT; a long list
is counted only some pages beyond the page asked for; within that, every page shows the same
rows, count and links as Django's own paginator."""

import pytest
from django.core.paginator import Paginator

from accounts.models import User
from common import paginators
from common.paginators import PAGES_COUNTED_AHEAD, ShortListPaginator
from tests.factories import ConsumerFactory

pytestmark = pytest.mark.django_db


def users(count: int):
    ConsumerFactory.create_batch(count)
    return User.objects.order_by("pk")


def same_page(page, expected) -> None:
    assert [u.pk for u in page.object_list] == [u.pk for u in expected.object_list]
    assert page.number == expected.number
    assert page.paginator.count == expected.paginator.count
    assert page.paginator.num_pages == expected.paginator.num_pages
    assert page.has_next() == expected.has_next()
    assert page.has_previous() == expected.has_previous()


@pytest.mark.parametrize("asked", [None, "", "1", 1])
def test_a_first_page_that_is_not_full_is_read_in_one_query_without_a_count(
    asked, django_assert_num_queries
):
    listed = users(3)
    expected = list(listed.values_list("pk", flat=True))
    with django_assert_num_queries(1) as queries:
        page = ShortListPaginator(listed, 5).get_page(asked)
        assert [u.pk for u in page.object_list] == expected
        assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (3, 1, False)
    assert "COUNT(" not in queries.captured_queries[0]["sql"].upper()


@pytest.mark.parametrize("size", [0, 1, 4, 5, 6, 7, 12])
@pytest.mark.parametrize("asked", [None, "1", "2", "3", "9", "x", "-1"])
@pytest.mark.parametrize("orphans", [0, 2])
def test_every_page_is_the_page_djangos_paginator_gives(size, asked, orphans):
    listed = users(size)
    same_page(
        ShortListPaginator(listed, 5, orphans=orphans).get_page(asked),
        Paginator(listed, 5, orphans=orphans).get_page(asked),
    )


def test_a_full_first_page_counts_the_list_only_when_its_links_ask(django_assert_num_queries):
    listed = users(7)
    with django_assert_num_queries(1):
        page = ShortListPaginator(listed, 5).get_page("1")
        assert len(page.object_list) == 5
    with django_assert_num_queries(1):
        assert page.has_next()
        assert page.paginator.num_pages == 2


def test_an_empty_list_is_an_empty_first_page_in_one_query(django_assert_num_queries):
    listed = User.objects.filter(pk=-1).order_by("pk")
    with django_assert_num_queries(1):
        page = ShortListPaginator(listed, 5).get_page(None)
        assert list(page.object_list) == []
        assert page.paginator.num_pages == 1


class _Untouchable(list):
    """A list the paginator must not read: it fails if sliced or counted."""

    def __getitem__(self, index):
        raise AssertionError("the queryset was read")

    def count(self, *args):
        raise AssertionError("the queryset was counted")


@pytest.mark.parametrize("size", [0, 3, 5, 6, 7, 12])
@pytest.mark.parametrize("asked", [None, "1"])
def test_given_reads_of_the_list_the_first_page_and_count_come_from_them(size, asked):
    listed = users(size)
    asked_rows = []

    def first_rows(rows):
        asked_rows.append(rows)
        return list(listed[:rows])

    page = ShortListPaginator(
        _Untouchable(listed),
        5,
        orphans=1,
        first_rows=first_rows,
        count=lambda up_to: min(listed.count(), up_to),
    ).get_page(asked)

    same_page(page, Paginator(listed, 5, orphans=1).get_page(asked))
    assert asked_rows == [7]


def test_a_later_page_counts_with_the_given_count(django_assert_num_queries):
    listed = users(12)
    page = ShortListPaginator(listed, 5, count=lambda up_to: 12).get_page("3")
    with django_assert_num_queries(0):
        assert page.paginator.count == 12
    same_page(page, Paginator(listed, 5).get_page("3"))


def test_a_long_list_is_counted_only_some_pages_beyond_the_first(django_assert_num_queries):
    listed = users(PAGES_COUNTED_AHEAD + 3)
    page = ShortListPaginator(listed, 1).get_page(None)
    with django_assert_num_queries(1) as queries:
        assert page.paginator.count == PAGES_COUNTED_AHEAD + 2
    assert "LIMIT" in queries.captured_queries[0]["sql"].upper()
    assert not page.paginator.counted_to_end
    assert page.paginator.num_pages == PAGES_COUNTED_AHEAD + 2
    assert page.has_next()


def test_a_later_page_counts_as_far_beyond_itself_and_is_djangos_page():
    listed = users(PAGES_COUNTED_AHEAD + 3)
    page = ShortListPaginator(listed, 1).get_page("3")
    assert page.paginator.counted_to_end
    same_page(page, Paginator(listed, 1).get_page("3"))


def test_the_given_count_is_asked_no_further_than_the_bound():
    asked = []

    def count(up_to):
        asked.append(up_to)
        return up_to

    page = ShortListPaginator(users(7), 5, orphans=1, count=count).get_page("2")
    assert page.paginator.num_pages == PAGES_COUNTED_AHEAD + 3
    assert asked == [(2 + PAGES_COUNTED_AHEAD) * 5 + 1 + 1]
    assert not page.paginator.counted_to_end


@pytest.mark.parametrize("asked", ["99999999999999999999999", "-5", "2.0", "x"])
def test_any_page_number_asked_is_counted_safely(asked, monkeypatch):
    monkeypatch.setattr(paginators, "PAGES_COUNTED_AHEAD", 0)
    listed = users(4)
    same_page(ShortListPaginator(listed, 3).get_page(asked), Paginator(listed, 3).get_page(asked))
