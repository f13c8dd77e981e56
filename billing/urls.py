"""URLs of billing's hosted pages (``billing/...``)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    # The token is signed with ``:`` separators: a plain string segment, checked by the view.
    path("update/<str:token>/", views.card_update, name="card_update"),
    path("update/<str:token>/passkeys/", views.passkeys_manage, name="passkeys"),
]
