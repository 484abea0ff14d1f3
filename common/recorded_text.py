"""Text the platform writes into records that outlive a request (a transition's description,
a ledger entry's memo), kept as its source text and parameters and written out in the
reader's language when read.

`recorded(gettext_noop("Offered %(amount)s"), amount="¥199.00")` stores the English source
(which `makemessages` collects through `gettext_noop`) behind a mark no form lets through;
`readable()` translates it for whoever reads it. What people typed is stored and shown as
typed, and so are rows written before this existed: nothing stored is ever rewritten.
"""

import json

from django.utils import translation
from django.utils.translation import gettext

# An ASCII record separator: forms strip it from the ends of what people type.
MARK = "\x1e"


def recorded(text: str, **params: str) -> str:
    """`text` (marked with `gettext_noop`) and its display-ready parameters, as stored."""
    return MARK + json.dumps({"text": text, "params": params}, ensure_ascii=False)


def recorded_label(label) -> str:
    """A choice's label (a lazy translation), recorded by its source text."""
    with translation.override(None):
        return recorded(str(label))


def readable(value: str | None) -> str:
    """A stored text in the active language; anything else as it was stored."""
    if not value or not value.startswith(MARK):
        return value or ""
    try:
        stored = json.loads(value[len(MARK) :])
        text, params = stored["text"], stored.get("params") or {}
        return gettext(text) % params if params else gettext(text)
    except (ValueError, KeyError, TypeError):
        return value[len(MARK) :]
