"""URLs of the bulk payouts and bulk charges API, mounted at ``/api/v1/``."""

from django.urls import path

from . import views

app_name = "payouts_api"

urlpatterns = [
    path("payout-batches", views.PayoutBatchListCreateView.as_view(), name="payout-batches"),
    path(
        "payout-batches/<str:batch_id>", views.PayoutBatchDetailView.as_view(), name="payout-batch"
    ),
    path(
        "payout-batches/<str:batch_id>/payouts",
        views.PayoutItemListView.as_view(),
        name="payout-batch-payouts",
    ),
    path("charge-batches", views.ChargeBatchListCreateView.as_view(), name="charge-batches"),
    path(
        "charge-batches/<str:batch_id>", views.ChargeBatchDetailView.as_view(), name="charge-batch"
    ),
    path(
        "charge-batches/<str:batch_id>/start",
        views.ChargeBatchStartView.as_view(),
        name="charge-batch-start",
    ),
]
