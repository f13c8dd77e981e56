"""Billing's hosted page: the customer gives a new card for a subscription (linked from the
failed-payment and upcoming-renewal e-mails). It looks like the hosted checkout.

The link's token is signed (``billing.services.notices``); a forged or expired one is a 404. Card
details are read from the POST body only and handed to the service; the CVC is never shown back.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from backoffice.client_ip import client_ip
from payments.errors import InvalidTransition, ValidationFailed

from .forms import CardUpdateForm
from .models import Invoice, Subscription
from .services.method_update import REPLACEABLE, subscription_card_replace, update_consent_text
from .services.notices import update_link_subscription_id
from .services.passkeys import customer_passkey_remove, customer_passkeys

logger = logging.getLogger(__name__)

FIELDS = ("number", "exp", "cvc", "holder_name")


def _subscription(token: str) -> Subscription:
    subscription_id = update_link_subscription_id(token)
    subscription = (
        Subscription.objects.select_related("merchant", "customer", "price", "payment_method")
        .filter(public_id=subscription_id or "")
        .first()
    )
    if subscription is None:
        raise Http404("This link is not valid any more.")
    return subscription


def _context(subscription: Subscription, form: CardUpdateForm) -> dict:
    due = (
        Invoice.objects.filter(
            subscription=subscription,
            status__in=[Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE],
        )
        .order_by("-created")
        .first()
    )
    first_error = next((name for name in FIELDS if name in form.errors), None)
    return {
        "merchant": subscription.merchant,
        "subscription": subscription,
        "price": subscription.price,
        "due": due,
        "sandbox": not subscription.livemode,
        "form": form,
        "f": {
            name: {
                "value": form.redisplay_value(name),
                "error": " ".join(form.errors.get(name, [])),
            }
            for name in (*FIELDS, "consent")
        },
        "first_error": first_error,
        "consent_text": update_consent_text(subscription),
        "ended": subscription.status not in REPLACEABLE,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("number", "exp", "cvc", "holder_name")
@sensitive_variables("form")
def card_update(request: HttpRequest, token: str) -> HttpResponse:
    subscription = _subscription(token)
    if request.method == "GET":
        if request.GET.get("done"):
            return render(
                request, "billing/card_updated.html", _context(subscription, CardUpdateForm())
            )
        return render(request, "billing/card_update.html", _context(subscription, CardUpdateForm()))
    form = CardUpdateForm(request.POST)
    if form.is_valid():
        try:
            subscription_card_replace(
                subscription=subscription, **form.card(), consent_ip=client_ip(request) or "0.0.0.0"
            )
        except ValidationFailed as err:
            form.add_service_errors(err.errors)
        except InvalidTransition as err:
            form.add_error(None, err.message)
        else:
            return redirect(f"{request.path}?done=1")
    response = render(request, "billing/card_update.html", _context(subscription, form), status=400)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def passkeys_manage(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's passkeys (one per saved card and device), each removable; reached from
    the card-update link."""
    subscription = _subscription(token)
    customer = subscription.customer
    if request.method == "POST":
        try:
            passkey_id = int(request.POST.get("remove", ""))
        except ValueError:
            passkey_id = 0
        if customer_passkey_remove(customer=customer, passkey_id=passkey_id):
            return redirect(f"{request.path}?removed=1")
        return redirect(request.path)
    context = {
        "merchant": subscription.merchant,
        "subscription": subscription,
        "price": subscription.price,
        "sandbox": not subscription.livemode,
        "passkeys": customer_passkeys(customer=customer),
        "removed": bool(request.GET.get("removed")),
    }
    return render(request, "billing/passkeys.html", context)
