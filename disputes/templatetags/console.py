from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from console import queues
from disputes import selectors
from disputes.admin.list_rows import fast_result_list
from disputes.notifications import render

register = template.Library()

SHOWN = 10


@register.inclusion_tag("admin/disputes/notifications_module.html", takes_context=True)
def console_notifications(context):
    """A reviewer's unread notices (answers to their questions, awards sent back) on the index."""
    user = context["request"].user
    unread = selectors.notifications_of(user).filter(read_at__isnull=True)[:SHOWN]
    return {"items": [(notification, render(notification)) for notification in unread]}


@register.inclusion_tag("console/work_queue.html", takes_context=True)
def console_work_queue(context):
    """What waits for each of the user's platform roles, with the way to the next item."""
    return {"sections": queues.sections_for(context["request"].user)}


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    """Django's `result_list` tag, rows built per column (disputes/admin/list_rows.py)."""
    return InclusionAdminNode(
        parser,
        token,
        func=fast_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
