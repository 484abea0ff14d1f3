"""A randomized concurrent soak: four threads of random work on PostgreSQL, the money
checked every 100 actions.

Two stores, three consumers and their orders; every action of every role, right and wrong
actors, right and wrong states, hostile amounts (`tests/disputes/world.py`); between
rounds the clock moves and the deadlines run. After each round of 100 actions: per order
the refunds never exceed what was paid, no award line above its rule, no late-shipping
group above its maximum, the ledger audit clean. A refusal is an expected outcome; any
other exception (a deadlock reaching the caller, an integrity error, a decision beyond
the rules accepted) is an error.

Each thread's choices come from the seed, so a run replays its choices (the interleaving
is the machine's). CI runs a short one; `make soak` the long one:

    SOAK_ACTIONS=10000 SOAK_SEED=20261127 DATABASE_URL=postgres://... \\
        .venv/bin/pytest tests/disputes/test_soak.py -s
"""

import os
import random
import threading
import time
import traceback
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from tests.disputes.world import (
    IDLE,
    Actions,
    Chooser,
    add_orders,
    award_problems,
    build_world,
    run_deadlines_strictly,
)

pytestmark = pytest.mark.postgres

THREADS = 4
CHECK_EVERY = 100
HOURS = [0, 1, 6, 25, 49, 73]


def _work(world, seed: int, count: int, tally: Counter, errors: list, lock: threading.Lock):
    actions = Actions(world, Chooser(seed))
    with translation.override("en"):
        try:
            for _ in range(count):
                try:
                    name, result = actions.random()
                    outcome = "idle" if result == IDLE else "done"
                except ValidationError:
                    outcome = "refused"
                except Exception:  # every other failure is a finding, with its story
                    outcome = "error"
                    with lock:
                        errors.append(traceback.format_exc())
                with lock:
                    tally[outcome] += 1
                    tally["actions"] += 1
                    if outcome == "done":
                        tally[f"done: {name}"] += 1
        finally:
            connection.close()


def test_concurrent_random_work_keeps_every_invariant():
    seed = int(os.environ.get("SOAK_SEED", "20261127"))
    total = int(os.environ.get("SOAK_ACTIONS", "1000"))
    clock_rng = random.Random(seed)
    tally, errors, failures, lock = Counter(), [], [], threading.Lock()
    started = time.monotonic()
    with time_machine.travel(timezone.now(), tick=True) as clock:
        world = build_world(stores=2, consumers=3)
        for round_ in range(-(-total // CHECK_EVERY)):
            size = min(CHECK_EVERY, total - round_ * CHECK_EVERY)
            shares = [size // THREADS + (i < size % THREADS) for i in range(THREADS)]
            threads = [
                threading.Thread(
                    target=_work,
                    args=(world, seed * 1000 + round_ * THREADS + i, share, tally, errors, lock),
                )
                for i, share in enumerate(shares)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            failures.extend(f"after {tally['actions']} actions: {p}" for p in award_problems())
            clock.shift(timedelta(hours=clock_rng.choice(HOURS)))
            run_deadlines_strictly(timezone.now())
            if round_ % 2 == 1:
                add_orders(world)
    elapsed = time.monotonic() - started
    print(
        f"\nsoak seed={seed}: {tally['actions']} actions, {tally['done']} done, "
        f"{tally['refused']} refused, {tally['idle']} with nothing to act on, "
        f"{len(failures)} failures, {len(errors)} errors in {elapsed:.0f} s"
    )
    print("  " + ", ".join(f"{k[6:]} {v}" for k, v in sorted(tally.items()) if k[:5] == "done:"))
    assert errors == [], errors[0]
    assert failures == []
    assert tally["actions"] == total
