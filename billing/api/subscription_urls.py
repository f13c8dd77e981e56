"""URLs of the subscriptions and test clocks API, mounted at ``/api/v1/``."""

from django.urls import path

from . import subscriptions as views

app_name = "billing_subscriptions_api"

urlpatterns = [
    path("subscriptions", views.SubscriptionListCreateView.as_view(), name="subscriptions"),
    path(
        "subscriptions/<str:subscription_id>",
        views.SubscriptionDetailView.as_view(),
        name="subscription",
    ),
    path(
        "subscriptions/<str:subscription_id>/cancel",
        views.SubscriptionCancelView.as_view(),
        name="subscription-cancel",
    ),
    path(
        "subscriptions/<str:subscription_id>/pause",
        views.SubscriptionPauseView.as_view(),
        name="subscription-pause",
    ),
    path(
        "subscriptions/<str:subscription_id>/resume",
        views.SubscriptionResumeView.as_view(),
        name="subscription-resume",
    ),
    path(
        "subscriptions/<str:subscription_id>/attempts",
        views.SubscriptionAttemptsView.as_view(),
        name="subscription-attempts",
    ),
    path("billing-settings", views.BillingSettingsView.as_view(), name="billing-settings"),
    path("test-clocks", views.TestClockListCreateView.as_view(), name="test-clocks"),
    path("test-clocks/<str:clock_id>", views.TestClockDetailView.as_view(), name="test-clock"),
    path(
        "test-clocks/<str:clock_id>/advance",
        views.TestClockAdvanceView.as_view(),
        name="test-clock-advance",
    ),
]
