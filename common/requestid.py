"""The id of the request (or task) being served, for every log line and queued message.

Set by `common.middleware.RequestLogMiddleware` for a request, carried to Celery tasks in
a message header and set again in the worker, so one id follows a user's action from the
page through the tasks it starts.
"""

import contextvars
import re
import uuid

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default=""
)

# A load balancer's id is kept when it looks like one; anything else is replaced, so a
# client cannot write arbitrary text into the logs.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id(proposed: str | None = None) -> str:
    if proposed and _ACCEPTABLE.match(proposed):
        return proposed
    return uuid.uuid4().hex


def get() -> str:
    return current_request_id.get()
