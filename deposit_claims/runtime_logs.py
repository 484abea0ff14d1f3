"""Log lines for what changes state, and the request id carried from a page into the tasks
it starts (a Celery message header, set again in the worker)."""

import logging

from common import requestid
from common.logs import info_on_commit

transition_logger = logging.getLogger("transitions")

HEADER = "request_id"
_tokens = {}


def log_transition(sender, instance, name, source, target, **kwargs):
    by = kwargs.get("method_kwargs", {}).get("by")
    label = sender._meta.label_lower
    info_on_commit(
        transition_logger,
        [
            (
                f"{label} {getattr(instance, 'number', instance.pk)}: {source} → {target}",
                {
                    "model": label,
                    "object_id": instance.pk,
                    "number": getattr(instance, "number", None),
                    "transition": name,
                    "source": source,
                    "target": target,
                    "by_user_id": getattr(by, "pk", None),
                },
            )
        ],
    )


def stamp_task(headers=None, **kwargs):
    if headers is not None and HEADER not in headers:
        headers[HEADER] = requestid.get()


def enter_task(task_id=None, task=None, **kwargs):
    # In-process (no broker) a task runs inside the request that started it, under its id.
    request_id = (
        getattr(task.request, HEADER, None) or requestid.get() or requestid.new_request_id()
    )
    _tokens[task_id] = requestid.current_request_id.set(request_id)


def leave_task(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        requestid.current_request_id.reset(token)
