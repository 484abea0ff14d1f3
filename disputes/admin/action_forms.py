"""The forms of the console's actions on a complaint: each asks for what its service needs."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.recorded_text import readable
from merchants.models import MONEY

from .. import selectors, services
from ..compensation import total
from ..models import (
    ZERO,
    Appeal,
    AwardLine,
    Complaint,
    Decision,
    InfoRequest,
)

# --- the forms of the actions ---------------------------------------------------------------


class ActionForm(forms.Form):
    """The input of one action on one complaint; an action without fields is a confirmation."""

    required_css_class = "required"

    def __init__(self, *args, complaint: Complaint, **kwargs):
        self.complaint = complaint
        super().__init__(*args, **kwargs)


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, evidence):
        name = readable(evidence.description) or evidence.original_name
        return f"{evidence.get_party_display()} · {evidence.get_kind_display()} · {name}"


def evidence_field(complaint: Complaint) -> EvidenceChoiceField:
    return EvidenceChoiceField(
        queryset=complaint.evidence.all(),
        required=False,
        label=_("Evidence relied on"),
        help_text=_("Both parties see which of the files the decision rests on."),
    )


def reasoning_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reasoning"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Both parties read this: the facts found and the rule applied."),
    )


REASONS_NOT_MALICIOUS = [
    (value, label)
    for value, label in Decision.ReasonCode.choices
    if value != Decision.ReasonCode.MALICIOUS
]


class RequestInfoForm(ActionForm):
    party = forms.ChoiceField(
        label=_("Ask"),
        choices=InfoRequest._meta.get_field("party").choices,
        widget=forms.RadioSelect,
    )
    question = forms.CharField(
        label=_("What is needed"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The party sees this question with the deadline to answer it."),
    )


class AwardLinesForm(ActionForm):
    """One amount per line of what the rules allow this complaint now, each at most its rule's."""

    lines_required = True

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.suggestion = selectors.suggestion_for_complaint(complaint)
        initial = self.initial_amounts()
        for line in self.suggestion:
            self.fields[self.line_field_name(line)] = forms.DecimalField(
                label=line.explanation,
                min_value=0,
                max_value=line.amount,
                initial=initial.get(line.rule, line.amount),
                required=self.lines_required,
                **MONEY,
            )

    def initial_amounts(self) -> dict:
        return {}

    @staticmethod
    def line_field_name(line) -> str:
        return f"line-{line.rule}"

    @property
    def suggested_total(self):
        return total(self.suggestion)

    @property
    def award_rows(self):
        """Each suggested line, its category's name, and the input of the amount awarded."""
        return [
            (line, AwardLine.Category(line.category).label, self[self.line_field_name(line)])
            for line in self.suggestion
        ]

    def service_lines(self) -> list[services.LineInput]:
        return [
            services.LineInput(
                rule=line.rule, amount=self.cleaned_data[self.line_field_name(line)] or ZERO
            )
            for line in self.suggestion
        ]


class DecideForm(AwardLinesForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *REASONS_NOT_MALICIOUS]
    )
    reasoning = reasoning_field()
    route = forms.ChoiceField(
        label=_("Payment route"),
        choices=Decision.Route.choices,
        initial=Decision.Route.DEPOSIT,
        widget=forms.RadioSelect,
    )
    reduction_reason = forms.CharField(
        label=_("Why less than the suggestion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Required when the award is below the rule-based suggestion."),
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)
        self.approval_threshold = selectors.deadline_policy(timezone.now()).approval_threshold

    @property
    def decision_fields(self):
        return [self[name] for name in ("reason_code", "reasoning", "evidence", "route")]


class RejectForm(ActionForm):
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *REASONS_NOT_MALICIOUS]
    )
    reasoning = reasoning_field()

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)


class RejectMaliciousForm(ActionForm):
    """The reason is fixed: only a malicious complaint is rejected as malicious."""

    reasoning = reasoning_field()

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["evidence"] = evidence_field(complaint)


class SendBackForm(ActionForm):
    reason = forms.CharField(
        label=_("What to reconsider"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The reviewer who decided reads this and decides again."),
    )


class ResolveAppealForm(AwardLinesForm):
    """A revised award is entered line by line, under the limits of a first decision."""

    lines_required = False
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Appeal.Outcome.choices, widget=forms.RadioSelect
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Final for both parties, who both read it."),
    )

    def initial_amounts(self) -> dict:
        decision = self.complaint.final_decision
        if decision is None or decision.outcome != Decision.Outcome.UPHELD:
            return {line.rule: ZERO for line in self.suggestion}
        awarded = {line.rule: line.amount for line in decision.lines.all()}
        return {line.rule: awarded.get(line.rule, ZERO) for line in self.suggestion}

    @property
    def resolution_fields(self):
        return [self["outcome"], self["resolution"]]

    @property
    def revises(self) -> bool:
        return self.cleaned_data.get("outcome") in (
            Appeal.Outcome.REVISED_UP,
            Appeal.Outcome.REVISED_DOWN,
        )

    def service_lines(self) -> list[services.LineInput] | None:
        return super().service_lines() if self.revises else None


class InternalNoteForm(ActionForm):
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("Only the platform sees internal notes; the parties never do."),
    )
