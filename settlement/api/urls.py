"""URLs of the settlement API, mounted at ``/api/v1/`` beside the payments API."""

from django.urls import path

from . import views

app_name = "settlement_api"

urlpatterns = [
    path("settlements", views.SettlementListView.as_view(), name="settlements"),
    path(
        "settlements/<str:settlement_id>", views.SettlementDetailView.as_view(), name="settlement"
    ),
    path(
        "settlements/<str:settlement_id>/report.csv",
        views.SettlementReportView.as_view(),
        name="settlement-report",
    ),
]
