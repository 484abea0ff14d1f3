import pytest
from django.urls import reverse

from accounts import roles
from disputes.models import Notification
from tests.factories import NotificationFactory, PlatformUserFactory

pytestmark = pytest.mark.django_db


def test_a_reviewer_sees_unread_notices_on_the_console_index_and_opens_them(client):
    reviewer = PlatformUserFactory(roles=[roles.REVIEWERS])
    notice = NotificationFactory(user=reviewer, event="info_answered", url="/admin/")
    NotificationFactory(event="info_answered")  # someone else's
    client.force_login(reviewer)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.content.decode().count("review can go on") == 1
    client.post(reverse("disputes:open_notification", args=[notice.pk]))
    assert Notification.objects.get(pk=notice.pk).read_at is not None
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert "review can go on" not in page.content.decode()
