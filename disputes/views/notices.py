"""Notifications: the list, opening one, and the settings of what reaches whom and how."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from common.languages import set_language_cookie
from common.paginators import ShortListPaginator
from merchants.models import MerchantMember

from .. import selectors, services
from ..forms import (
    NotificationSettingsForm,
)
from ..models import Notification
from ..notifications import render as render_notification
from ._shared import (
    PAGE_SIZE,
)


@login_required
def notifications(request):
    page = ShortListPaginator(selectors.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(n, render_notification(n)) for n in page.object_list]
    return render(request, "disputes/notifications.html", {"page": page, "items": items})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    for_store = MerchantMember.objects.filter(user=request.user).exists()
    form = NotificationSettingsForm(request.POST or None, user=request.user, for_store=for_store)
    if form.is_valid():
        language = form.cleaned_data["language"]
        try:
            services.save_notification_settings(
                user=request.user,
                muted=form.muted(),
                daily_digest=form.cleaned_data.get("daily_digest", False),
                language=language,
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            with translation.override(language):
                messages.success(request, str(_("Your notification settings are saved.")))
            response = redirect("disputes:notification_settings")
            # One language per person: the pages follow the messages' language.
            set_language_cookie(response, language)
            return response
    return render(request, "disputes/notification_settings.html", {"form": form})


@login_required
@require_POST
def open_notification(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.mark_notification_read(notification=notification)
    return redirect(notification.url)
