"""URLs of the risk API, mounted at ``/api/v1/`` beside the payments API."""

from django.urls import path

from . import views

app_name = "risk_api"

urlpatterns = [
    path("risk/rules", views.RuleListCreateView.as_view(), name="rules"),
    path("risk/rules/<str:rule_id>", views.RuleDetailView.as_view(), name="rule"),
    path("risk/rules/<str:rule_id>/versions", views.RuleVersionsView.as_view(), name="versions"),
    path("risk/rules/<str:rule_id>/backtest", views.RuleBacktestView.as_view(), name="backtest"),
    path("disputes", views.DisputeListView.as_view(), name="disputes"),
    path("disputes/<str:dispute_id>", views.DisputeDetailView.as_view(), name="dispute"),
    path(
        "disputes/<str:dispute_id>/evidence",
        views.DisputeEvidenceView.as_view(),
        name="dispute-evidence",
    ),
    path(
        "disputes/<str:dispute_id>/evidence/files/<str:file_id>",
        views.DisputeEvidenceFileView.as_view(),
        name="dispute-evidence-file",
    ),
    path("disputes/<str:dispute_id>/submit", views.DisputeSubmitView.as_view(), name="submit"),
    path("disputes/<str:dispute_id>/accept", views.DisputeAcceptView.as_view(), name="accept"),
    path("risk/lists", views.ListEntryListCreateView.as_view(), name="lists"),
    path("risk/lists/<str:entry_id>", views.ListEntryDetailView.as_view(), name="list-entry"),
]
