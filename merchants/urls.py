from django.urls import path

from . import views

app_name = "merchants"

urlpatterns = [
    path("orders/", views.seller_orders, name="orders"),
    path("staff/", views.seller_staff, name="staff"),
    path("staff/invite/", views.invite_staff, name="invite"),
    path("staff/<int:member_id>/", views.staff_member, name="staff_member"),
    path("staff/<int:member_id>/remove/", views.remove_staff, name="remove_staff"),
    path(
        "staff/invitations/<int:invitation_id>/withdraw/",
        views.withdraw_invitation,
        name="withdraw_invitation",
    ),
    path("join/<str:token>/", views.join, name="join"),
]
