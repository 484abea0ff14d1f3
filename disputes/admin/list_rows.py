"""The complaint list's rows as Django's admin renders them, worked out per column, not per cell.

Django's `items_for_result` decides for every cell of every row what kind of column it is
(looking the name up as a field, failing with an exception, trying the admin), which empty
value and classes it takes and whether it links, each through lazy translations and
`format_html`: on the console's 50-row list that was 40% of the page. Here each column is
worked out once per page and a row only reads its values. The columns it knows are the
ones the complaint list uses: model fields, foreign keys and display methods of the admin;
any other changelist (a popup, editable rows, other kinds of column) is left to Django.
tests/disputes/test_console_list_rows.py holds the two to the same HTML.
"""

import datetime
from collections.abc import Callable

from django.contrib.admin.templatetags.admin_list import (
    result_headers,
    result_hidden_fields,
    result_list,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

Cell = Callable[[models.Model], str]


def fast_result_list(cl) -> dict:
    """`result_list`'s context for the changelist `cl`, each row one ready string of cells."""
    if not _supported(cl):
        return result_list(cl)
    headers = list(result_headers(cl))
    cells = [_cell(cl, index, name) for index, name in enumerate(cl.list_display)]
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [
            # Each cell escapes what it shows.
            [mark_safe("".join(cell(row) for cell in cells))]  # noqa: S308
            for row in cl.result_list
        ],
    }


def _supported(cl) -> bool:
    if cl.is_popup or cl.formset or cl.to_field or cl.list_display_links is None:
        return False
    return all(_field(cl, name) or _admin_method(cl, name) for name in cl.list_display)


def _field(cl, name):
    try:
        field = cl.lookup_opts.get_field(name)
    except (FieldDoesNotExist, TypeError):
        return None
    if field.is_relation and not (isinstance(field, models.ForeignKey) and name == field.name):
        return None
    return field


def _admin_method(cl, name):
    # As Django reads a column: "__str__" is the row's own text, not the admin's.
    if not isinstance(name, str) or name == "__str__":
        return None
    method = getattr(cl.model_admin, name, None)
    if not callable(method) or getattr(method, "boolean", False):
        return None
    return method


def _cell(cl, index: int, name: str) -> Cell:
    links = name in cl.list_display_links
    first_link = next(
        (i for i, n in enumerate(cl.list_display) if n in cl.list_display_links), None
    )
    tag = "th" if links and index == first_link else "td"
    empty = conditional_escape(cl.model_admin.get_empty_value_display())
    field = _field(cl, name)
    if field is not None:
        nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
        text = _field_text(field, empty, links)
    else:
        method = _admin_method(cl, name)
        nowrap = None  # known only from each row's value
        text = _method_text(method, getattr(method, "empty_value_display", empty))
    link = _link(cl) if links else None

    def cell(row) -> str:
        shown, value = text(row)
        wraps = nowrap if nowrap is not None else isinstance(value, datetime.date | datetime.time)
        classes = f"field-{name} nowrap" if wraps else f"field-{name}"
        if link:
            shown = f'<a href="{escape(link(row))}">{shown}</a>'
        return f'<{tag} class="{classes}">{shown}</{tag}>'

    return cell


def _link(cl) -> Callable[[models.Model], str]:
    """Each row's link to its case file, with the list's filters to come back to. The
    filters are the same query on every row's link (Django works them out again for each,
    resolving the link first): worked out once, on the first row's."""
    preserved = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    first = cl.url_for_result(cl.result_list[0]) if cl.result_list else None
    linked = add_preserved_filters(preserved, first) if first else None
    if not first or not linked.startswith(first):
        return lambda row: add_preserved_filters(preserved, cl.url_for_result(row))
    query = linked[len(first) :]
    return lambda row: cl.url_for_result(row) + query


def _blank_as_empty(value):
    return "" if isinstance(value, str) and value.strip() == "" else value


def _field_text(field, empty: str, links: bool) -> Callable:
    name = field.name
    if isinstance(field, models.ForeignKey):

        def related(row):
            value = getattr(row, name)
            return (empty if value is None else conditional_escape(value)), value

        return related

    def value(row):
        raw = _blank_as_empty(getattr(row, name))
        return conditional_escape(display_for_field(raw, field, empty, avoid_link=links)), raw

    return value


def _method_text(method, empty) -> Callable:
    empty = conditional_escape(empty)

    def text(row):
        value = _blank_as_empty(method(row))
        return conditional_escape(display_for_value(value, empty)), value

    return text
