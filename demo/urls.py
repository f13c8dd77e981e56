"""URLs of the demo shop, under ``demo/shop/``."""

from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("", views.demo_shop, name="shop"),
    path("checkout", views.demo_checkout, name="checkout"),
    path("thanks", views.demo_thanks, name="thanks"),
]
