from django import template

from disputes import selectors
from disputes.notifications import render

register = template.Library()

SHOWN = 10


@register.inclusion_tag("admin/disputes/notifications_module.html", takes_context=True)
def console_notifications(context):
    """A reviewer's unread notices (answers to their questions, awards sent back) on the index."""
    user = context["request"].user
    unread = selectors.notifications_of(user).filter(read_at__isnull=True)[:SHOWN]
    return {"items": [(notification, render(notification)) for notification in unread]}
