"""Deadlines act by themselves: every app's "what is due now" function, run in layer order."""

import logging
from collections.abc import Callable
from datetime import datetime

logger = logging.getLogger(__name__)

# Each function takes `now`, applies what is due through the services, and returns how
# many things it moved. Lower layers first, so a restricted merchant is current before
# complaints are processed.
DEADLINE_FUNCTIONS: tuple[Callable[[datetime], int], ...] = ()


def run_all_deadlines(now: datetime) -> dict[str, int]:
    results = {}
    for function in DEADLINE_FUNCTIONS:
        name = f"{function.__module__}.{function.__name__}"
        results[name] = function(now)
        logger.info("deadlines: %s moved %s", name, results[name])
    return results
