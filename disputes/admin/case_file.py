"""The case file: everything a complaint's console page shows, read in a fixed number of
queries."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import admin
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from common.prepared import PreparedPrefetch, PreparedRead, hand_over
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

# The case file and its action pages read these on every page: compiled once per process.
_CASE_FILE = PreparedRead(
    lambda pk: Complaint.objects.select_related(
        "order",
        "merchant",
        "consumer",
        "assigned_reviewer",
        "appeal_record__appellant",
        "appeal_record__resolved_by",
        "strike",
        "direct_payment__recorded_by",
    ).filter(pk=pk)
)
_ITS_ROWS = (
    PreparedPrefetch(
        "info_requests",
        lambda pk: InfoRequest.objects.select_related("asked_by", "answered_by").filter(
            complaint_id=pk
        ),
    ),
    PreparedPrefetch(
        "decisions",
        lambda pk: Decision.objects.select_related("decided_by", "approved_by").filter(
            complaint_id=pk
        ),
    ),
    PreparedPrefetch(
        "offers", lambda pk: Offer.objects.select_related("made_by").filter(complaint_id=pk)
    ),
    PreparedPrefetch(
        "evidence",
        lambda pk: Evidence.objects.select_related("uploaded_by").filter(complaint_id=pk),
    ),
    PreparedPrefetch(
        "messages", lambda pk: Message.objects.select_related("author").filter(complaint_id=pk)
    ),
)


def load_case_file(complaint_id) -> Complaint | None:
    """Everything the case file and its action pages show, in a fixed number of queries:
    the complaint, its rows of each kind, the evidence its decisions relied on, and the
    award lines of its decisions and of its appeal in one query between them."""
    complaint = _CASE_FILE.get(int(complaint_id))
    if complaint is None:
        return None
    for read in _ITS_ROWS:
        read(complaint)
    decisions = list(complaint.decisions.all())
    appeal = getattr(complaint, "appeal_record", None)
    if decisions:
        prefetch_related_objects(decisions, "evidence_relied_on")
    if decisions or appeal:
        lines = list(
            PAID_LINES.filter(Q(decision__complaint=complaint) | Q(appeal__complaint=complaint))
        )
        for decision in decisions:
            hand_over(
                decision, "lines", [line for line in lines if line.decision_id == decision.pk]
            )
        if appeal is not None:
            hand_over(appeal, "lines", [line for line in lines if line.appeal_id == appeal.pk])
    return complaint


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
