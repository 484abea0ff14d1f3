"""The console's complaint list builds its rows per column: each must read as Django's would."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import result_list
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation

from disputes.admin.complaints import ComplaintAdmin
from disputes.admin.list_rows import fast_result_list
from disputes.models import Complaint
from tests.disputes.test_review import World, reviewer_user, senior_user
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:disputes_complaint_changelist"


def _changelist(user, query=""):
    request = RequestFactory().get(reverse(CHANGELIST) + query)
    request.user = user
    request.resolver_match = resolve(reverse(CHANGELIST))  # what keeps the filters in links
    changelist = admin.site.get_model_admin(Complaint).get_changelist_instance(request)
    changelist.formset = None  # as the changelist view sets it for a list without edits
    return changelist


def _djangos_rows(changelist) -> list[str]:
    return ["".join(cells) for cells in result_list(changelist)["results"]]


def _fast_rows(changelist) -> list[str]:
    return ["".join(cells) for cells in fast_result_list(changelist)["results"]]


@pytest.fixture
def varied_complaints(complaint, store, other_store, consumer):
    """Complaints whose every column differs: states, flags, deadlines, reviewers, names."""
    World(complaint, store, other_store, consumer).build("under_appeal_ready")
    overdue = ComplaintFactory(kind="counterfeit", claimed_amount="1234.50")
    Complaint.objects.filter(pk=overdue.pk).update(
        status=Complaint.Status.UNDER_REVIEW,
        decision_overdue=True,
        info_lapsed=True,
        assigned_reviewer=reviewer_user(),
        due_at=timezone.now() - timedelta(hours=1),
    )
    no_deadline = ComplaintFactory(kind="late_shipping", description="<b>x</b>")
    Complaint.objects.filter(pk=no_deadline.pk).update(status=Complaint.Status.CLOSED, due_at=None)
    ComplaintFactory(order__merchant__name="<script>店</script> & Co")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=under_review",
        "?o=-4.1&assigned=nobody",
        "?q=TS&kind__exact=late_shipping",
    ],
    ids=["default", "status filter", "sorted and filtered", "searched"],
)
def test_the_lists_rows_read_exactly_as_djangos_admin_renders_them(
    varied_complaints, language, query
):
    with translation.override(language):
        changelist = _changelist(senior_user(), query)
        assert _fast_rows(changelist) == _djangos_rows(changelist)


def test_every_row_of_the_page_is_built_with_its_headers_as_django_builds_them(varied_complaints):
    changelist = _changelist(senior_user())
    fast, djangos = fast_result_list(changelist), result_list(changelist)

    assert len(fast["results"]) == len(djangos["results"]) == Complaint.objects.count()
    assert {key: value for key, value in fast.items() if key != "results"} == {
        key: value for key, value in djangos.items() if key != "results"
    }


def test_names_and_numbers_are_escaped_and_each_row_links_to_its_case_with_the_filters(
    varied_complaints,
):
    changelist = _changelist(senior_user(), "?status__exact=negotiating")
    rows = _fast_rows(changelist)

    assert rows
    assert not any("<script>" in row for row in rows)
    assert any("&lt;script&gt;店&lt;/script&gt; &amp; Co" in row for row in rows)
    for complaint, row in zip(changelist.result_list, rows, strict=True):
        case_url = reverse("admin:disputes_complaint_change", args=[complaint.pk])
        assert row.startswith(
            f'<th class="field-number"><a href="{case_url}?_changelist_filters='
            f'status__exact%3Dnegotiating">{complaint.number}</a></th>'
        )


def _number_lowered(complaint):
    return complaint.number.lower()


@pytest.mark.parametrize(
    "columns",
    [("number", "__str__"), ("number", "consumer__username"), ("number", _number_lowered)],
    ids=["the row's own text", "a field across a relation", "a callable"],
)
def test_a_list_with_a_kind_of_column_the_fast_path_does_not_know_is_left_to_django(
    varied_complaints, monkeypatch, columns
):
    monkeypatch.setattr(ComplaintAdmin, "list_display", columns)
    changelist = _changelist(senior_user())

    assert fast_result_list(changelist) == result_list(changelist)


def test_a_list_whose_links_name_no_column_shows_rows_without_links_as_django_does(
    varied_complaints, monkeypatch
):
    monkeypatch.setattr(ComplaintAdmin, "list_display_links", ("not_a_column",))
    changelist = _changelist(senior_user())

    rows = _fast_rows(changelist)
    assert rows == _djangos_rows(changelist)
    assert not any("<a " in row for row in rows)


def test_a_popup_list_is_left_to_djangos_own_rows(varied_complaints):
    changelist = _changelist(UserFactory(is_staff=True, is_superuser=True), "?_popup=1")

    assert changelist.is_popup
    assert fast_result_list(changelist) == result_list(changelist)


def test_the_complaint_list_page_builds_its_rows_per_column_not_through_djangos_cells(
    client, varied_complaints, monkeypatch
):
    def cell_by_cell(*args):
        raise AssertionError("the list's rows went through Django's items_for_result")

    monkeypatch.setattr(admin_list, "items_for_result", cell_by_cell)
    client.force_login(senior_user())

    page = client.get(reverse(CHANGELIST)).content.decode()

    for complaint in Complaint.objects.all():
        assert f">{complaint.number}</a></th>" in page
