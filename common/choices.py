"""Choice labels looked up directly.

Django's `get_FOO_display()` rebuilds a dict of every choice on each call; a list of 20
complaints showing kind and status made that a fifth of the page's time.
"""


def label_of(choices, value):
    """The (translated, lazy) label of `value` among `choices`, or the value when unknown."""
    try:
        return choices(value).label
    except ValueError:
        return value
