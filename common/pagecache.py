"""Party pages cached whole, per reader, keyed on versions that every change bumps.

A page names the *scopes* it shows (its complaint, the consumer's complaints, the store,
the reader's notifications...). Each scope has a version token in the shared cache; a
change deletes the tokens of the scopes it touches once its transaction commits, so the
next reader finds no token, makes a new one and renders afresh. A page is stored with the
tokens it was rendered under and served only while they are still the current ones. A
reader takes its tokens *before* reading the database: a page rendered from data older
than a change can only carry a token that the change has already deleted, which no later
reader holds again.

What depends on the clock or the request stays out of the stored HTML: deadline chips
("in 1 day 23 hours", red once overdue) and CSRF tokens are stored as placeholders and
filled on every response. A page is cached at most `MAX_SECONDS`, and never past the
moment its view says something on it changes by time alone.

Caching is on only where the cache is shared by every process (REDIS_URL): with each
process's own memory, a change made in another process (the deadline loop, another
worker) could not reach it. `DJANGO_PAGE_CACHE=off` turns it off anyway.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

MAX_SECONDS = 300
_TOKEN_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_HOLE = "\x00csrf\x00"
_DEADLINE_HOLE = re.compile("\x00deadline:([^\x00\x01]+)\x01([^\x00]*)\x00")
_RENDERING_FOR_CACHE = "_page_cache_rendering"


def enabled() -> bool:
    return settings.PAGE_CACHE


# --- versions -------------------------------------------------------------------------------


def _digest(value) -> str:
    """A short, safe cache key part for anything, a complaint number from a URL included."""
    return hashlib.blake2b(repr(value).encode(), digest_size=12).hexdigest()


def _version_key(scope: tuple) -> str:
    return "page-version:" + _digest(scope)


def _deletion_after_commit(keys: set[str]):
    """The version keys one transaction deletes once it commits, in one round trip."""

    def delete_page_versions() -> None:
        cache.delete_many(list(keys))

    delete_page_versions.keys = keys
    return delete_page_versions


def bump(*scopes: tuple) -> None:
    """Every page showing one of `scopes` is rendered afresh once this transaction commits
    (at once outside a transaction)."""
    if not enabled() or not scopes:
        return
    keys = {_version_key(scope) for scope in scopes}
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # One deletion per transaction. A deletion registered earlier still runs when this
        # change commits: a rolled-back savepoint drops its callbacks, and one that is still
        # open encloses this change too. Keys added in a savepoint later rolled back only
        # cost their pages one extra render.
        for _savepoints, callback, _robust in connection.run_on_commit:
            if getattr(callback, "__name__", "") == "delete_page_versions":
                callback.keys |= keys
                return
    # Robust: a cache that fails here must not turn a committed change into an error, nor
    # keep the callbacks after it (the outbox's delivery, the log lines) from running.
    transaction.on_commit(_deletion_after_commit(keys), robust=True)


def store_scope(merchant_id: int) -> tuple:
    """Every page of a store's staff: its status, deposit, orders and complaints."""
    return ("store", merchant_id)


def consumer_scope(consumer_id: int) -> tuple:
    """A consumer's lists: their orders and complaints."""
    return ("consumer", consumer_id)


def complaint_scopes(*, number: str, consumer_id: int, merchant_id: int) -> list[tuple]:
    """What a change to one complaint (or anything shown with it) makes stale."""
    return [("complaint", number), consumer_scope(consumer_id), store_scope(merchant_id)]


def bump_complaints(complaints) -> None:
    scopes = set()
    for complaint in complaints:
        scopes.update(
            complaint_scopes(
                number=complaint.number,
                consumer_id=complaint.consumer_id,
                merchant_id=complaint.merchant_id,
            )
        )
    bump(*scopes)


def reader_scope(user_id: int) -> tuple:
    """What every page of one reader shows in its header: their name, unread notifications."""
    return ("reader", user_id)


def _tokens_and_page(scopes: list[tuple], page_key: str) -> tuple[list[str], tuple | None]:
    """The scopes' version tokens (made where missing) and what is stored under `page_key`,
    read in one round trip."""
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many([*keys, page_key])
    missing = {key: secrets.token_hex(8) for key in keys if key not in found}
    for key, token in missing.items():
        # Another reader may have made one a moment ago: both are as fresh; keep the first.
        # A token need not outlive the pages stored under it; one that expires is a change.
        if not cache.add(key, token, timeout=MAX_SECONDS):
            missing[key] = cache.get(key, token)
    return [found.get(key) or missing[key] for key in keys], found.get(page_key)


# --- placeholders ---------------------------------------------------------------------------


def rendering_for_cache(request) -> bool:
    return getattr(request, _RENDERING_FOR_CACHE, False)


def deadline_placeholder(moment: datetime, time_html: str) -> str:
    """A chip's place: its moment, and its absolute part rendered once (in the page's
    language); the relative part and the colour are made at each view."""
    return f"\x00deadline:{moment.isoformat()}\x01{time_html}\x00"


def _fill(html: str, request) -> str:
    from deposit_claims.templatetags.ui import deadline_chip_html

    now = timezone.now()
    html = _DEADLINE_HOLE.sub(
        lambda match: deadline_chip_html(
            datetime.fromisoformat(match.group(1)),
            now,
            mark_safe(match.group(2)),  # noqa: S308 - ours
        ),
        html,
    )
    if _CSRF_HOLE in html:
        html = html.replace(_CSRF_HOLE, get_token(request))
    return html


# --- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One cacheable page: its name, the scopes it shows, and what else tells two apart."""

    name: str
    scopes: list[tuple]
    variant: str = ""


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def serve(request, page: Page, render) -> HttpResponse:
    """The page from the cache when unchanged, else `render()` (returning the response and
    the moment, if any, when its content changes by time alone), stored for the next view."""
    if not enabled() or request.method != "GET" or _has_messages(request):
        return render()[0]
    identity = (page.name, page.variant, page.scopes, request.user.pk, translation.get_language())
    key = "page:" + _digest(identity)
    tokens, stored = _tokens_and_page([*page.scopes, reader_scope(request.user.pk)], key)
    # Stored with the tokens it was rendered under: any other tokens mean a change since.
    if stored is not None and stored[0] == tokens:
        html = stored[1]
    else:
        setattr(request, _RENDERING_FOR_CACHE, True)
        try:
            response, changes_at = render()
        finally:
            setattr(request, _RENDERING_FOR_CACHE, False)
        if response.status_code != 200 or _has_messages(request):
            return _filled(response, request)
        html = _TOKEN_INPUT.sub(rf"\g<1>{_CSRF_HOLE}\g<2>", response.content.decode())
        timeout = _timeout(changes_at)
        if timeout:
            cache.set(key, (tokens, html), timeout)
    return HttpResponse(_fill(html, request))


def _filled(response: HttpResponse, request) -> HttpResponse:
    response.content = _fill(response.content.decode(), request)
    return response


def _timeout(changes_at: datetime | None) -> int:
    if changes_at is None:
        return MAX_SECONDS
    return max(0, min(MAX_SECONDS, int((changes_at - timezone.now()).total_seconds())))
