"""The reviewer console: complaints as case files, the platform's actions on them, and the
records the complaint services write (decisions, information requests, appeals).

Every action on a complaint is a page of its own that calls one service; the admin never
changes a complaint itself. The case file shows only the buttons `has_transition_perm`
allows this user now, and the service checks again under the row lock, so a forged or a
repeated POST is refused with the service's message and changes nothing.
"""

from . import complaints, policies, records  # noqa: F401 (each registers its admins)
