"""Log lines: one JSON object a line in production, plain text in development; every line
names the request (or the task it started) it belongs to."""

import json
import logging
from datetime import UTC, datetime

from django.db import transaction

from . import requestid

_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestid.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """The record's message, its level and logger, and every field passed in `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
        )
        if line.get("request_id") == "-":
            line["request_id"] = None
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def info_on_commit(logger: logging.Logger, lines: list[tuple[str, dict]]) -> None:
    """Log each (message, fields) once the transaction commits: a change that rolls back
    leaves no line claiming it happened."""
    if lines and logger.isEnabledFor(logging.INFO):
        request_id = requestid.get()

        def write():
            token = requestid.current_request_id.set(request_id)
            try:
                for message, fields in lines:
                    logger.info(message, extra=fields)
            finally:
                requestid.current_request_id.reset(token)

        transaction.on_commit(write, robust=True)
