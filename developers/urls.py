"""The integration guides, mounted at ``/docs/``."""

from django.urls import path

from . import views

app_name = "guides"

urlpatterns = [
    path("", views.guide_index, name="index"),
    path("<slug:slug>/", views.guide_detail, name="guide"),
]
