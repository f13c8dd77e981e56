"""Passkeys on the hosted checkout: answering the institution's challenge with one (before any
OTP code is sent) and registering one after an OTP verification of a saved card.

Pages post forms (the answer of the browser in a hidden ``credential`` field) and are
redirected back to the payment's page; the options the page's script needs before asking the
browser are JSON (``POST``, CSRF-checked). ``static/checkout/passkey.js`` does the browser side.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from payments.errors import InvalidTransition
from payments.services.passkey_auth import (
    PasskeyRefused,
    passkey_options,
    passkey_register,
    passkey_registration_options,
    passkey_verify,
)

from .views import _payment, _payment_url


def _options(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _not_now(err: InvalidTransition) -> JsonResponse:
    return JsonResponse({"code": err.code, "message": err.message}, status=409)


@never_cache
@require_POST
def verify_options(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    try:
        return _options(passkey_options(payment=_payment(token, payment_id)))
    except InvalidTransition as err:
        return _not_now(err)


@never_cache
@require_POST
def verify(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    payment = _payment(token, payment_id)
    try:
        passkey_verify(payment_pk=payment.pk, token=request.POST.get("credential", ""))
    except PasskeyRefused as err:
        messages.error(request, f"{err.message} ({err.code})")
    except InvalidTransition:
        pass  # no longer waiting: the payment's page shows what happened
    return redirect(_payment_url(payment))


@never_cache
@require_POST
def register_options(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    try:
        return _options(passkey_registration_options(payment=_payment(token, payment_id)))
    except InvalidTransition as err:
        return _not_now(err)


@never_cache
@require_POST
def register(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    payment = _payment(token, payment_id)
    try:
        passkey_register(payment=payment, token=request.POST.get("credential", ""))
    except (PasskeyRefused, InvalidTransition) as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            "Passkey saved: next time, verify with your fingerprint or face.",
        )
    return redirect(_payment_url(payment))
