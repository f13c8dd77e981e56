from django.conf import settings
from django.shortcuts import render


def landing(request):
    return render(request, "landing.html", {"demo_mode": settings.DEMO_MODE})
