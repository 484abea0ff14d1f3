"""Every console action × every platform role × every state, posted directly: where the
console hides the button, the POST changes nothing; where it shows it, the same POST acts.
"""

import pytest
from django import forms
from django.urls import reverse
from django_fsm_log.models import StateLog

from deposits.models import LedgerEntry
from disputes.admin.actions import ACTIONS
from disputes.models import Appeal, Complaint, Decision, InfoRequest, Message
from tests.disputes.test_review import STATES, World

pytestmark = pytest.mark.django_db

ROLES = ["reviewer", "other reviewer", "senior", "finance"]
TEXT = "事实清楚，依据规则处理。"


@pytest.fixture
def world(complaint, store, other_store, consumer):
    return World(complaint, store, other_store, consumer)


def payload(action, complaint) -> dict:
    """What a person would submit: the form's own suggestion where it makes one, the first
    choice of each list, a sentence in each text box."""
    form = action.form_class(None, complaint=complaint)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.ModelMultipleChoiceField):
            continue
        if value in (None, "") and isinstance(field, forms.ChoiceField):
            value = next(str(v) for v, _label in field.choices if v not in ("", None))
        elif value in (None, "") and isinstance(field, forms.CharField):
            value = TEXT
        if value is not None:
            data[name] = value
    return data


def snapshot(complaint) -> tuple:
    complaint = Complaint.objects.get(pk=complaint.pk)
    return (
        complaint.status,
        complaint.assigned_reviewer_id,
        *(m.objects.count() for m in (Message, Decision, InfoRequest, Appeal, LedgerEntry)),
        StateLog.objects.count(),
    )


def post(client, user, action, complaint):
    client.force_login(user)
    url = reverse(f"admin:{action.url_name}", args=[complaint.pk])
    return client.post(url, payload(action, complaint))


@pytest.mark.parametrize("state", STATES)
def test_a_post_the_console_would_not_offer_changes_nothing(client, world, state):
    complaint = world.build(state)
    refused = 0
    for who in ROLES:
        user = world.actors[who]
        for action in ACTIONS:
            if action.may(Complaint.objects.get(pk=complaint.pk), user):
                continue
            before = snapshot(complaint)
            post(client, user, action, complaint)
            assert snapshot(complaint) == before, (state, who, action.slug)
            refused += 1
    assert refused


@pytest.mark.parametrize("state", STATES)
def test_what_the_walk_posts_is_valid_wherever_the_console_offers_the_action(world, state):
    """So that a refusal above is the permission's doing, not a form left incomplete."""
    complaint = world.build(state)
    for who in ROLES:
        for action in ACTIONS:
            if action.may(complaint, world.actors[who]):
                form = action.form_class(payload(action, complaint), complaint=complaint)
                assert form.is_valid(), (state, who, action.slug, form.errors)


@pytest.mark.parametrize("state", STATES)
def test_the_same_post_acts_where_the_console_offers_it(client, world, state):
    complaint = world.build(state)
    for who in ROLES:
        user = world.actors[who]
        for action in ACTIONS:
            current = Complaint.objects.get(pk=complaint.pk)
            if not action.may(current, user):
                continue
            before = snapshot(current)
            response = post(client, user, action, current)
            assert response.status_code == 302, (state, who, action.slug)
            assert snapshot(current) != before, (state, who, action.slug)
            return  # one action acted: the state has moved on
