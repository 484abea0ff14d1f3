"""Real races between transactions, for the PostgreSQL-only tests."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation


def race(*calls) -> list[str]:
    """Start every call at once, each in its own thread and connection; "done", the message of
    a refusal, or the type and text of any other error."""
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
            except Exception as error:  # a deadlock or any other failure is an outcome to assert on
                outcomes.append(f"{type(error).__name__}: {error}")
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
