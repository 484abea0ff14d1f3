"""The signature on every delivery, and a reference implementation of its check.

    X-Claims-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

The timestamp is signed with the body, so a receiver that refuses a `t` more than
REPLAY_WINDOW from its own clock refuses a delivery captured and replayed later. The
`v1=` label leaves room for another scheme beside this one during a change.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Claims-Signature"
EVENT_ID_HEADER = "X-Claims-Event-Id"
EVENT_TYPE_HEADER = "X-Claims-Event-Type"
REPLAY_WINDOW_SECONDS = 300


class InvalidSignature(Exception):
    pass


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int) -> str:
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> None:
    """Raise InvalidSignature unless `header` signs `body` (the raw bytes received) with
    `secret`, at most `tolerance` seconds from `now`."""
    parts = {}
    for item in (header or "").split(","):
        name, _sep, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("The header has no timestamp.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("The timestamp is outside the replay window.")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise InvalidSignature("No v1 signature matches.")
