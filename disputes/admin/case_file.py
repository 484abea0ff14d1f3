"""The case file: everything a complaint's console page shows, read in a fixed number of
queries."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import admin
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from common.recorded_text import readable

from ..models import (
    Appeal,
    AwardLine,
    Complaint,
    ConsumerStrike,
    Decision,
    Evidence,
    InfoRequest,
    Message,
    Offer,
    Party,
)

Status = Complaint.Status

# --- the case file ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    """A message or an information request, in the order they happened."""

    at: datetime
    message: Message | None = None
    info_request: InfoRequest | None = None


PAID_LINES = AwardLine.objects.select_related("ledger_entry")


def case_file_queryset():
    """Everything the case file and its action pages show, in a fixed number of queries."""
    return Complaint.objects.select_related(
        "order",
        "merchant",
        "consumer",
        "assigned_reviewer",
        "appeal_record__appellant",
        "appeal_record__resolved_by",
        "strike",
        "direct_payment__recorded_by",
    ).prefetch_related(
        Prefetch(
            "info_requests",
            queryset=InfoRequest.objects.select_related("asked_by", "answered_by"),
        ),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("decided_by", "approved_by").prefetch_related(
                "evidence_relied_on"
            ),
        ),
        Prefetch("offers", queryset=Offer.objects.select_related("made_by")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
        Prefetch("messages", queryset=Message.objects.select_related("author")),
    )


def load_case_file(complaint_id) -> Complaint | None:
    """The case file's complaint; the award lines of its decisions and of its appeal are
    read in one query between them."""
    try:
        # get(), not first(): an order for the one row has Django match it against each of
        # the 168 selected columns and PostgreSQL plan a sort, 5 ms of the page between them.
        complaint = case_file_queryset().get(pk=complaint_id)
    except Complaint.DoesNotExist:
        return None
    decisions = list(complaint.decisions.all())
    appeal = getattr(complaint, "appeal_record", None)
    if decisions or appeal:
        lines = list(
            PAID_LINES.filter(Q(decision__complaint=complaint) | Q(appeal__complaint=complaint))
        )
        for decision in decisions:
            _cache_lines(decision, [line for line in lines if line.decision_id == decision.pk])
        if appeal is not None:
            _cache_lines(appeal, [line for line in lines if line.appeal_id == appeal.pk])
    return complaint


def _cache_lines(owner, lines) -> None:
    """Hand `owner.lines.all()` these rows, as a prefetch would."""
    queryset = owner.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    cache = getattr(owner, "_prefetched_objects_cache", {})
    owner._prefetched_objects_cache = {**cache, "lines": queryset}


# The states where the case file shows what the rules allow: an award is still to be made,
# approved or revised.
AWARD_OPEN = (
    Status.UNDER_REVIEW,
    Status.AWAITING_INFO,
    Status.AWAITING_APPROVAL,
    Status.UNDER_APPEAL,
)


def thread_of(complaint: Complaint) -> list[ThreadItem]:
    return sorted(
        [ThreadItem(m.created_at, message=m) for m in complaint.messages.all()]
        + [ThreadItem(r.created_at, info_request=r) for r in complaint.info_requests.all()],
        key=lambda item: item.at,
    )


def evidence_by_party(complaint: Complaint):
    files = list(complaint.evidence.all())
    return [
        (label, [e for e in files if e.party == party])
        for party, label in Party.choices
        if any(e.party == party for e in files)
    ]


def appeal_of(complaint: Complaint) -> Appeal | None:
    return getattr(complaint, "appeal_record", None)


def strike_of(complaint: Complaint) -> ConsumerStrike | None:
    return getattr(complaint, "strike", None)


class _HistoryFormSet(BaseGenericInlineFormSet):
    def get_queryset(self):
        rows = super().get_queryset()
        for row in rows:
            # Every row is of this complaint: no query per row to read it again.
            row._state.fields_cache["content_object"] = self.instance
        return rows


class HistoryInline(StateLogInline):
    """The raw transition log, each row with its actor read in the same query."""

    formset = _HistoryFormSet
    fields = ("transition", "source_state", "state", "by", "description_text", "timestamp")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("description"))
    def description_text(self, log):
        return readable(log.description)
