from django.urls import path

from . import views

app_name = "bench_baseline"

urlpatterns = [
    path("constant", views.constant, name="constant"),
    path("minimal", views.MinimalInsertView.as_view(), name="minimal"),
]
