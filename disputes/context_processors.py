from . import selectors


def notifications(request):
    if not request.user.is_authenticated or request.user.is_staff:
        return {}
    return {"unread_notifications": selectors.unread_notification_count(request.user)}
