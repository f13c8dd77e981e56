"""The FX pages of the back office: read-only, conversions scoped to the user's merchants."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from fx.models import Conversion

from .conftest import utc
from .test_fx_capture_api import SATURDAY, capture_at, refund

pytestmark = pytest.mark.django_db


def test_merchant_staff_see_their_conversions_and_not_anothers(
    api, usd_merchant, other_merchant, login, make_staff
):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    conversion = Conversion.objects.get(payment__public_id=body["id"])
    viewer = make_staff(usd_merchant, role="viewer")
    stranger = make_staff(other_merchant, role="viewer")
    url = reverse("admin:fx_conversion_changelist")

    mine = login(viewer).get(url)
    theirs = login(stranger).get(reverse("admin:fx_conversion_change", args=[conversion.pk]))

    assert mine.status_code == 200
    assert body["id"] in mine.content.decode()
    assert "$111.93" in mine.content.decode()
    assert theirs.status_code in (302, 403, 404)


def test_platform_staff_see_the_fx_gain_or_loss_of_refunds(
    api, login, platform_user, django_capture_on_commit_callbacks
):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    refund(api, body["id"], 10000, utc(2026, 10, 30, 17), django_capture_on_commit_callbacks)

    with time_machine.travel(utc(2026, 10, 30, 18), tick=False):
        response = login(platform_user).get(reverse("admin:fx_refundconversion_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    # Taken from the merchant at the capture's rate ($111.93), paid at Friday 30's ($111.72).
    assert "FX gain/loss: $0.21" in page


def test_the_rates_page_lists_the_ecb_fixings(login, platform_user, ecb_rates):
    response = login(platform_user).get(
        reverse("admin:fx_ratesnapshot_changelist"), {"quote": "USD"}
    )

    assert response.status_code == 200
    assert "1.1172" in response.content.decode()
