"""The case page's shortcuts: each must show what the page showed without it."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes import services
from disputes.admin.case_file import load_case_file
from tests.disputes.test_review import World, senior_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DJANGO_FIELDSET = "admin/includes/fieldset.html"
CASE_FIELDSET = "admin/disputes/complaint/readonly_fieldset.html"


def _fieldsets(adminform, template) -> list:
    return [
        parse_html(
            render_to_string(
                template,
                {
                    "fieldset": fieldset,
                    "heading_level": 2,
                    "prefix": "fieldset",
                    "id_prefix": 0,
                    "id_suffix": index,
                },
            )
        )
        for index, fieldset in enumerate(adminform)
    ]


@pytest.mark.parametrize("state", ["negotiating", "under_review", "paid", "under_appeal_ready"])
@pytest.mark.parametrize("superuser", [False, True], ids=["senior reviewer", "superuser"])
def test_the_case_page_shows_its_fields_as_djangos_fieldset_template_would(
    client, complaint, store, other_store, consumer, state, superuser
):
    services.post_message(complaint=complaint, author=consumer, body="你好")
    if state != "negotiating":
        complaint = World(complaint, store, other_store, consumer).build(state)
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True) if superuser else senior_user()
    )

    response = client.get(reverse("admin:disputes_complaint_change", args=[complaint.pk]))

    assert response.status_code == 200
    # Django's template, nearly half of the page's rendering, is not used ...
    assert DJANGO_FIELDSET not in {template.name for template in response.templates}
    adminform = response.context["adminform"]
    # ... and would show the very same (the case page's fields are all read-only, one a
    # line: a field that could be edited needs Django's template again).
    assert _fieldsets(adminform, CASE_FIELDSET) == _fieldsets(adminform, DJANGO_FIELDSET)
    assert all(field.is_readonly for fieldset in adminform for line in fieldset for field in line)
    assert all(len(line.fields) == 1 for fieldset in adminform for line in fieldset)


def test_the_case_file_reads_its_complaint_without_ordering_it(complaint):
    with CaptureQueriesContext(connection) as captured:
        case = load_case_file(complaint.pk)

    assert case == complaint
    # An order for the one row has Django match it against each of the query's 168
    # columns, and PostgreSQL plan a sort: milliseconds of each case page.
    assert "ORDER BY" not in captured[0]["sql"]


def test_the_case_file_of_a_complaint_that_does_not_exist_is_none(complaint):
    assert load_case_file(complaint.pk + 1) is None
