"""The case page's shortcuts: each must show what the page showed without it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes.admin.case_file import load_case_file

pytestmark = pytest.mark.django_db


def test_the_case_file_reads_its_complaint_without_ordering_it(complaint):
    with CaptureQueriesContext(connection) as captured:
        case = load_case_file(complaint.pk)

    assert case == complaint
    # An order for the one row has Django match it against each of the query's 168
    # columns, and PostgreSQL plan a sort: milliseconds of each case page.
    assert "ORDER BY" not in captured[0]["sql"]


def test_the_case_file_of_a_complaint_that_does_not_exist_is_none(complaint):
    assert load_case_file(complaint.pk + 1) is None
