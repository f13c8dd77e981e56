"""The demo shop: a coffee roaster's cart that pays through the hosted checkout, as a
merchant's site would (test mode, ``DEMO_MODE`` only)."""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payments.models import Merchant, Order
from payments.services import order_create

from .forms import CartForm

logger = logging.getLogger(__name__)

PRODUCTS = {
    "beans-ethiopia": ("Ethiopia Yirgacheffe beans, 250 g", 1450),
    "beans-colombia": ("Colombia Huila beans, 250 g", 1290),
    "espresso-blend": ("House espresso blend, 1 kg", 3800),
    "dripper": ("Ceramic pour-over dripper", 2400),
    "filters": ("Paper filters, 100 pack", 650),
}
_CART = "demo_cart"
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_]{1,64}")


def _demo_merchant() -> Merchant:
    if not settings.DEMO_MODE:
        raise Http404("The demo shop is off.")
    merchant = Merchant.objects.filter(is_demo=True).first()
    if merchant is None:
        raise Http404("The demo merchant does not exist yet (manage.py demo_setup).")
    return merchant


def _cart_lines(request: HttpRequest) -> tuple[list[dict], int]:
    cart = request.session.get(_CART, {})
    lines = [
        {"sku": sku, "name": PRODUCTS[sku][0], "quantity": qty, "amount": PRODUCTS[sku][1] * qty}
        for sku, qty in cart.items()
        if sku in PRODUCTS and qty > 0
    ]
    return lines, sum(line["amount"] for line in lines)


@require_http_methods(["GET", "HEAD", "POST"])
def demo_shop(request: HttpRequest) -> HttpResponse:
    merchant = _demo_merchant()
    if request.method == "POST":
        form = CartForm(request.POST)
        if form.is_valid() and form.cleaned_data["product"] in PRODUCTS:
            cart = dict(request.session.get(_CART, {}))
            sku = form.cleaned_data["product"]
            quantity = form.cleaned_data["quantity"]
            cart[sku] = cart.get(sku, 0) + 1 if quantity is None else quantity
            request.session[_CART] = {k: v for k, v in cart.items() if v > 0}
        return redirect("demo:shop")
    lines, total = _cart_lines(request)
    products = [{"sku": sku, "name": n, "amount": a} for sku, (n, a) in PRODUCTS.items()]
    context = {"merchant": merchant, "products": products, "lines": lines, "total": total}
    return render(request, "demo/shop.html", context)


@require_POST
def demo_checkout(request: HttpRequest) -> HttpResponse:
    """Create a test-mode order for the cart, as a merchant's server would, and go pay it."""
    merchant = _demo_merchant()
    lines, total = _cart_lines(request)
    if not lines:
        return redirect("demo:shop")
    order = order_create(
        merchant=merchant,
        amount=total,
        currency="USD",
        reference=f"demo-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}",
        description=", ".join(f"{line['quantity']} × {line['name']}" for line in lines)[:500],
        return_url=request.build_absolute_uri(reverse("demo:thanks")),
        livemode=False,
        line_items=[
            {"name": line["name"], "quantity": line["quantity"], "unit_amount": PRODUCTS[sku][1]}
            for line in lines
            for sku in (line["sku"],)
        ],
    )
    # The cart has become this order: a shopper who pays and never comes back through the
    # return link must not find it again in the shop.
    request.session.pop(_CART, None)
    logger.info("demo order %s created", order.public_id)
    return redirect("checkout:pay", token=order.checkout_token)


@require_GET
def demo_thanks(request: HttpRequest) -> HttpResponse:
    merchant = _demo_merchant()
    public_id = request.GET.get("order_id", "")
    # A public id is URL-safe; anything else (a NUL byte, which PostgreSQL refuses) is no order.
    order = None
    if _PUBLIC_ID.fullmatch(public_id):
        order = Order.objects.filter(merchant=merchant, public_id=public_id).first()
    if order and order.status in Order.PAID_STATES:
        request.session.pop(_CART, None)
    return render(request, "demo/thanks.html", {"merchant": merchant, "order": order})
