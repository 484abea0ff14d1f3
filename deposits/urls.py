from django.urls import path

from . import views

app_name = "deposits"

urlpatterns = [
    path("seller/deposit/", views.seller_deposit, name="seller_deposit"),
    path("seller/deposit/statement.csv", views.seller_statement_csv, name="statement_csv"),
]
