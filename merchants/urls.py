from django.urls import path

from . import views

app_name = "merchants"

urlpatterns = [
    path("orders/", views.seller_orders, name="orders"),
    path("staff/", views.seller_staff, name="staff"),
]
