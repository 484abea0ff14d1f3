from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("orders/", views.consumer_orders, name="consumer_orders"),
    path("orders/<str:order_number>/complain/", views.file_complaint, name="file_complaint"),
    path("complaints/", views.consumer_complaints, name="consumer_complaints"),
    path("complaints/<str:number>/", views.complaint_detail, name="complaint"),
    path("complaints/<str:number>/message/", views.consumer_message, name="consumer_message"),
    path("complaints/<str:number>/evidence/", views.consumer_evidence, name="consumer_evidence"),
    path(
        "complaints/<str:number>/evidence/<int:evidence_id>/",
        views.consumer_evidence_file,
        name="consumer_evidence_file",
    ),
    path(
        "complaints/<str:number>/answer-info/",
        views.consumer_answer_info,
        name="consumer_answer_info",
    ),
    path("complaints/<str:number>/appeal/", views.consumer_appeal, name="consumer_appeal"),
    path(
        "complaints/<str:number>/appeal-response/",
        views.consumer_appeal_response,
        name="consumer_appeal_response",
    ),
    path("complaints/<str:number>/case-file/", views.consumer_case_file, name="consumer_case_file"),
    path(
        "complaints/<str:number>/payout-account/",
        views.consumer_payout_account,
        name="consumer_payout_account",
    ),
    path("complaints/<str:number>/<slug:action>/", views.consumer_action, name="consumer_action"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open_notification"),
    path("seller/", views.seller_overview, name="seller_overview"),
    path("seller/complaints/", views.seller_complaints, name="seller_complaints"),
    path("seller/complaints/<str:number>/", views.seller_complaint, name="seller_complaint"),
    path("seller/complaints/<str:number>/message/", views.seller_message, name="seller_message"),
    path("seller/complaints/<str:number>/evidence/", views.seller_evidence, name="seller_evidence"),
    path(
        "seller/complaints/<str:number>/evidence/<int:evidence_id>/",
        views.seller_evidence_file,
        name="seller_evidence_file",
    ),
    path(
        "seller/complaints/<str:number>/answer-info/",
        views.seller_answer_info,
        name="seller_answer_info",
    ),
    path(
        "seller/complaints/<str:number>/payment/",
        views.seller_confirm_payment,
        name="seller_confirm_payment",
    ),
    path(
        "seller/complaints/<str:number>/direct-payment/",
        views.seller_record_payment,
        name="seller_record_payment",
    ),
    path("seller/complaints/<str:number>/appeal/", views.seller_appeal, name="seller_appeal"),
    path(
        "seller/complaints/<str:number>/appeal-response/",
        views.seller_appeal_response,
        name="seller_appeal_response",
    ),
    path(
        "seller/complaints/<str:number>/case-file/",
        views.seller_case_file,
        name="seller_case_file",
    ),
    path(
        "seller/complaints/<str:number>/<slug:action>/", views.seller_action, name="seller_action"
    ),
]
