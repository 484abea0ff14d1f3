"""Random lives of complaints, checked after every step (hypothesis.stateful).

One consumer, one store and orders of every shape (cheap and dear, late and on time, paid
within 24 hours of each other and not); every kind of complaint; random filings,
settlements, escalations, rejections, decisions with hostile line lists, approvals,
appeals and resolutions, pay-ins, and the clock moving with the deadlines run. After every
step: per order, refunds paid never exceed what was paid; per rule, no award above its
suggestion; per late-shipping group, never more than the ¥500; the ledger audit clean.

Runs on SQLite and on PostgreSQL. The CI profile is derandomized with its examples pinned
(100 on SQLite, 80 on PostgreSQL: each under 3 minutes); `HYPOTHESIS_PROFILE=long`
explores further.
"""

import contextlib
import os
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.disputes.world import (
    FAMILIES,
    Actions,
    Chooser,
    award_problems,
    build_world,
    changes,
    run_deadlines_strictly,
)

pytestmark = pytest.mark.django_db

HOURS = [1, 25, 49, 73, 24 * 5, 24 * 8]

PROFILES = {
    "ci": settings(
        max_examples=150,
        stateful_step_count=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
    "long": settings(
        max_examples=400,
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
}


class AwardMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example starts from the empty database and leaves it so.
        self._example = transaction.atomic()
        self._example.__enter__()
        self._clock = time_machine.travel(timezone.now(), tick=False)
        self._time = self._clock.start()
        self.world = None
        self._checked = None

    @initialize(
        deposit=st.sampled_from(["0", "300.00", "50000.00"]),
        family=st.sampled_from(sorted(FAMILIES)),
    )
    def build(self, deposit, family):
        self.world = build_world(deposit=deposit, kinds=FAMILIES[family])

    @rule(data=st.data(), action=st.sampled_from((*Actions.ALL, "later")))
    def act(self, data, action):
        if action == "later":
            # Time passes now and then (deadlines, reminders, windows closing).
            self._time.shift(timedelta(hours=data.draw(st.sampled_from(HOURS))))
            run_deadlines_strictly(timezone.now())
            return
        chooser = Chooser(draw=lambda options: data.draw(st.sampled_from(options)))
        # A refusal (wrong actor, wrong state, an amount above the rules) is an outcome too.
        with contextlib.suppress(ValidationError):
            getattr(Actions(self.world, chooser), action)()

    @invariant()
    def awards_hold(self):
        if self.world is None:
            return
        # Most steps are refusals that change nothing: check again only after a change.
        fingerprint = changes()
        if fingerprint != self._checked:
            assert award_problems() == []
            self._checked = fingerprint

    def teardown(self):
        self._clock.stop()
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)


def test_awards_stay_within_the_rules_whatever_happens():
    profile = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
    if profile is PROFILES["ci"] and connection.vendor == "postgresql":
        # Each step costs PostgreSQL round trips; fewer examples keep it under 3 minutes.
        profile = settings(profile, max_examples=80)
    run_state_machine_as_test(AwardMachine, settings=profile)
