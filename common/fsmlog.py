"""django-fsm-log's storage, able to collect the history of a batch and write it at once.

Outside `collected_logs()` a transition's log row is written as it happens, as django-fsm-log
always does; inside it, the rows are gathered as column values for the caller to write at
once with `common.db.insert_rows`.
"""

import threading
from contextlib import contextmanager

from django_fsm_log.backends import SimpleBackend, _pre_transition_callback

_local = threading.local()


class _Collector:
    """Stands in for StateLog's manager: `create()` keeps the row's values instead of
    writing it."""

    def __init__(self):
        self.logs = []

    def create(self, *, content_object, by=None, **values):
        from django.contrib.contenttypes.models import ContentType

        self.logs.append(
            {
                **values,
                "content_type_id": ContentType.objects.get_for_model(content_object).pk,
                "object_id": content_object.pk,
                "by_id": getattr(by, "pk", None),
            }
        )


class CollectingBackend(SimpleBackend):
    @staticmethod
    def post_transition_callback(sender, instance, name, source, target, **kwargs):
        collector = getattr(_local, "collector", None)
        if collector is None:
            return SimpleBackend.post_transition_callback(
                sender, instance, name, source, target, **kwargs
            )
        return _pre_transition_callback(sender, instance, name, source, target, collector, **kwargs)


@contextmanager
def collected_logs():
    """Gather the log rows of the transitions run inside; yields the list they land in."""
    previous = getattr(_local, "collector", None)
    _local.collector = _Collector()
    try:
        yield _local.collector.logs
    finally:
        _local.collector = previous
