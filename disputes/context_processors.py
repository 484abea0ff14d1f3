from . import selectors

# The bell shows at most this many unread notices, then "99+".
BELL_SHOWS_UP_TO = 99


def notifications(request):
    if not request.user.is_authenticated or request.user.is_staff:
        return {}
    unread = selectors.unread_notification_count(request.user, up_to=BELL_SHOWS_UP_TO + 1)
    return {
        "unread_notifications": min(unread, BELL_SHOWS_UP_TO),
        "more_unread_notifications": unread > BELL_SHOWS_UP_TO,
    }
