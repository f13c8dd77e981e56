"""The admin's developer section: a merchant's staff see their own requests, found by id."""

import pytest

from developers.models import RequestLog

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/developers/requestlog/"


@pytest.fixture
def logged(api, other_api, create_order):
    """A bad request of the merchant, an order of it read back, and another merchant's request."""
    bad = api.post("/api/v1/orders", {"amount": -1}, format="json")
    order = create_order()
    api.get(f"/api/v1/orders/{order['id']}")
    other_api.get("/api/v1/orders")
    return {"bad": bad["X-Request-Id"], "order": order}


def test_staff_see_only_their_merchants_requests(make_staff, login, merchant, logged):
    staff = login(make_staff(merchant, "viewer"))

    html = staff.get(CHANGELIST).content.decode()

    mine = RequestLog.objects.filter(merchant=merchant)
    theirs = RequestLog.objects.exclude(merchant=merchant)
    assert mine.count() == 3 and theirs.count() == 1
    assert all(f"/{log.pk}/change/" in html for log in mine)
    assert f"/{theirs.get().pk}/change/" not in html
    assert staff.get(f"{CHANGELIST}{theirs.get().pk}/change/").status_code in (302, 404)


@pytest.mark.parametrize("search", ["request_id", "code", "status", "object_id"])
def test_a_request_is_found_by_request_id_code_status_or_object_id(
    make_staff, login, merchant, logged, search
):
    staff = login(make_staff(merchant, "viewer"))
    bad = RequestLog.objects.get(request_id=logged["bad"])
    created = RequestLog.objects.get(status=201)
    read = RequestLog.objects.get(path=f"/api/v1/orders/{logged['order']['id']}")
    query, expected = {
        "request_id": (logged["bad"], bad),
        "code": ("validation_failed", bad),
        "status": ("400", bad),
        "object_id": (logged["order"]["id"], read),
    }[search]

    html = staff.get(CHANGELIST, {"q": query}).content.decode()

    assert f"/{expected.pk}/change/" in html
    assert f"/{created.pk}/change/" not in html


def test_a_request_page_shows_the_redacted_bodies(make_staff, login, merchant, logged):
    staff = login(make_staff(merchant, "viewer"))
    bad = RequestLog.objects.get(request_id=logged["bad"])

    html = staff.get(f"{CHANGELIST}{bad.pk}/change/").content.decode()

    assert "validation_failed" in html
    assert logged["bad"] in html


def test_the_order_page_links_to_the_requests_that_touched_its_objects(
    make_staff, login, merchant, api, create_order
):
    order = create_order()
    api.get(f"/api/v1/orders/{order['id']}")
    staff = login(make_staff(merchant, "viewer"))
    from payments.models import Order

    pk = Order.objects.get(public_id=order["id"]).pk

    html = staff.get(f"/admin/payments/order/{pk}/change/").content.decode()
    listed = staff.get(CHANGELIST, {"q": order["id"]}).content.decode()

    assert f"{CHANGELIST}?q={order['id']}" in html
    touched = RequestLog.objects.get(path=f"/api/v1/orders/{order['id']}")
    assert f"/{touched.pk}/change/" in listed


def test_the_payment_page_links_to_the_requests_that_touched_it(
    make_staff, login, merchant, api, create_order, pay_order
):
    from payments.models import Payment
    from tests.api.conftest import card_body

    order = create_order()
    payment = pay_order(order["id"], card_body()).json()
    api.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount": 100}, format="json")
    staff = login(make_staff(merchant, "viewer"))
    pk = Payment.objects.get(public_id=payment["id"]).pk

    html = staff.get(f"/admin/payments/payment/{pk}/change/").content.decode()
    listed = staff.get(CHANGELIST, {"q": payment["id"]}).content.decode()

    assert f"{CHANGELIST}?q={payment['id']}" in html
    refund = RequestLog.objects.get(path=f"/api/v1/payments/{payment['id']}/refunds")
    assert f"/{refund.pk}/change/" in listed
