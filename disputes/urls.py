from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("orders/", views.consumer_orders, name="consumer_orders"),
    path("seller/", views.seller_overview, name="seller_overview"),
]
