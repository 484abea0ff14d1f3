"""Real races between transactions, for the PostgreSQL-only tests."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation


def race(*calls) -> list[str]:
    """Start every call at once, each in its own thread and connection; "done" or its error."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        with translation.override("en"):
            try:
                barrier.wait()
                call()
                outcomes.append("done")
            except ValidationError as error:
                outcomes.append(error.messages[0])
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
