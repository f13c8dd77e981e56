"""Pages of the hosted checkout.

Every checkout response is ``Cache-Control: no-store``. Card details are read from the POST body
only, handed to ``payment_create`` and dropped: the page is re-rendered with what was typed (never
the CVC) only when the submission was refused; anything accepted ends in a redirect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from csp.constants import NONCE
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods
from django_fsm import can_proceed

from payments.branding import logo_origin
from payments.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    OrderNotPayable,
    OtpError,
    OtpResendNotAllowed,
    PaymentInProgress,
    ValidationFailed,
)
from payments.models import ACTIVE_PAYMENT_STATUSES, Order, OutboxMessage, Payment
from payments.passkeys import passkeys_for
from payments.services import (
    bank_transfer_simulate,
    otp_challenge_current,
    otp_resend,
    otp_verify,
    payment_abandon_by_shopper,
    payment_create,
)
from payments.services.passkey_auth import passkey_offered, passkey_registrable
from payments.validation import card_brand, luhn_valid, normalize_pan

from . import dcc, saving, texts
from .declines import RETRYABLE_DECLINES, decline_message, decline_title
from .forms import OtpForm, PaymentForm, methods_for
from .selectors import order_for_checkout

logger = logging.getLogger(__name__)

# The shopper's part is done: the money is held or taken.
SUCCEEDED = (Payment.Status.AUTHORIZED, *Payment.CAPTURED_STATES)


def return_url_for(order: Order) -> str:
    """Return the merchant's return URL with ``order_id`` and ``status`` added to its query."""
    if not order.return_url:
        return ""
    parts = urlsplit(order.return_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k not in ("order_id", "status")]
    query += [("order_id", order.public_id), ("status", order.status)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _sandbox(order: Order) -> bool:
    return settings.PAYMENTS_SANDBOX and not order.livemode


def _order_closed(order: Order) -> str:
    """Return why the order cannot be paid ("expired", "canceled", "paid"...) or ""."""
    if not can_proceed(order.pay):
        return order.status
    if order.expires_at <= timezone.now():
        return Order.Status.EXPIRED  # the beat task has not run yet; the deadline still holds
    return ""


def _order(token: str) -> Order:
    return get_object_or_404(Order.objects.select_related("merchant"), checkout_token=token)


def _payment(token: str, payment_id: str) -> Payment:
    """Return the payment only if it belongs to the order of this checkout token (else 404)."""
    return get_object_or_404(
        Payment.objects.select_related("order__merchant"),
        public_id=payment_id,
        order__checkout_token=token,
    )


def _payment_url(payment: Payment) -> str:
    return reverse("checkout:payment", args=[payment.order.checkout_token, payment.public_id])


def _active_payment(order: Order) -> Payment | None:
    return order.payments.filter(status__in=ACTIVE_PAYMENT_STATUSES).order_by("-id").first()


def _base_context(order: Order, *, return_url: bool = True) -> dict:
    back = return_url_for(order)
    context = {
        "order": order,
        "merchant": order.merchant,
        "sandbox": _sandbox(order),
        "back_url": back,  # the header's "Back to <merchant>", on every page
    }
    if return_url:  # the pages that end a visit link back to the merchant
        context["return_url"] = back
    return context


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    """Render a checkout page in the merchant's look: its logo's origin and the page's nonce
    (for the accent colour's one rule) are added to the Content-Security-Policy."""
    context.setdefault("checkout_js_text", texts.script_texts(template))
    response = render(request, template, context, status=status)
    merchant = context["merchant"]
    update = {}
    if merchant.brand_logo_url:
        update["img-src"] = [logo_origin(merchant.brand_logo_url)]
    if merchant.brand_color:
        update["style-src"] = [NONCE]
    if update:
        response._csp_update = update
    return response


# --- the order: choose a method and pay ---------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    """One input of the payment form as the template needs it."""

    name: str
    value: str
    error: str


_FIELD_NAMES = ("number", "exp", "cvc", "holder_name", "phone", "method")
_EMPTY_FIELDS = {name: FieldView(name, "", "") for name in _FIELD_NAMES}
_PAGE_ORDER = ("number", "exp", "cvc", "holder_name", "phone")


def _fields(form: PaymentForm) -> dict[str, FieldView]:
    out = {}
    for name in _FIELD_NAMES:
        errors = form.errors.get(name)
        out[name] = FieldView(name, form.redisplay_value(name), errors[0] if errors else "")
    return out


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("number", "exp", "cvc", "holder_name", "phone")
@sensitive_variables("form", "method")
def checkout_pay(request: HttpRequest, token: str) -> HttpResponse:
    """Show the order and the payment form; on POST authorize the payment."""
    order = order_for_checkout(token)
    if order is None:
        raise Http404("No order has this checkout link.")
    closed = _order_closed(order)
    if closed in Order.PAID_STATES:
        paid = order.payments.filter(status__in=SUCCEEDED).order_by("-id").first()
        if paid:
            return redirect(_payment_url(paid))
    if closed:
        return _render(request, "checkout/closed.html", {**_base_context(order), "reason": closed})
    if order.active_payment_id:
        return redirect("checkout:payment", token=token, payment_id=order.active_payment_id)

    if request.method != "POST":
        return _pay_page(request, order, form=None)

    form = PaymentForm(request.POST, currency=order.currency)
    if form.is_valid():
        method = form.method_input()
        saved_card = form.saved_card_id() if order.customer else ""
        try:
            if saved_card:
                payment = saving.pay_with_saved_card(order=order, method_id=saved_card)
            elif _dcc_to_offer(order, form, method):
                # Nothing is charged until the shopper chose the currency (no script ran).
                form.add_error(None, dcc.CHOOSE_NOTE)
                return _pay_page(request, order, form=form)
            else:
                quote_id = form.cleaned_data["dcc_quote"] if method.type == "card" else ""
                payment = payment_create(order=order, method=method, dcc_quote=quote_id)
                if method.type == "card" and form.cleaned_data["save_card"]:
                    saving.consent_record(
                        request=request,
                        order=order,
                        payment=payment,
                        holder_name=method.holder_name,
                    )
        except ValidationFailed as err:
            form.add_service_errors(err.errors)
            if any(error.field == "dcc_quote" for error in err.errors):
                form.add_error(None, dcc.EXPIRED_NOTE)  # the page shows a new offer
        except PaymentInProgress:
            # A double-click or a second tab: show the payment already under way.
            active = _active_payment(order)
            return redirect(_payment_url(active) if active else request.path)
        except OrderNotPayable:
            return redirect(request.path)
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            return redirect(_payment_url(payment))
    return _pay_page(request, order, form=form)


@sensitive_variables("method")
def _dcc_to_offer(order: Order, form: PaymentForm, method) -> bool:
    """Whether a card submitted before any DCC choice was shown has one to make first."""
    if method.type != "card" or form.dcc_chosen():
        return False
    if not luhn_valid(normalize_pan(method.number)):
        return False  # the payment service says what is wrong with the number
    return dcc.offer_for(order, number=method.number) is not None


@sensitive_variables("form")
def _pay_page(request: HttpRequest, order: Order, *, form: PaymentForm | None) -> HttpResponse:
    """Render the payment form: empty on a visit, else what was typed and the errors."""
    methods = methods_for(order.currency)
    # "Try again" after a retryable decline comes back with ``?method=`` of the payment tried.
    selected = form.data.get("method") if form is not None else request.GET.get("method")
    if selected not in dict(methods):
        selected = methods[0][0]
    typed = normalize_pan(form.redisplay_value("number")) if form is not None else ""
    fields = _fields(form) if form is not None else _EMPTY_FIELDS
    cards = saving.saved_cards(order)
    context = {
        **_base_context(order, return_url=False),
        "form": form,
        "f": fields,
        # The first field in error, in page order, gets the focus (works without scripts too).
        "first_error": next((n for n in _PAGE_ORDER if fields[n].error), ""),
        "methods": methods,
        "available": dict(methods),
        "selected": selected,
        "typed_brand": (card_brand(typed) or "") if typed else "",
        "saved_cards": cards,
        # A saved card is chosen until the shopper picks "Use another card".
        "saved_selected": (
            form.data.get("saved_card", "") if form is not None else cards[0].method_id
        )
        if cards
        else "",
        "consent_words": saving.consent_words(order) if order.customer else "",
        "save_checked": form is not None and bool(form.data.get("save_card")),
        "dcc": _dcc_shown(order, form),
        "checkout_js_text": texts.script_texts("pay"),
    }
    if context["sandbox"]:
        context["sandbox_cards"], context["sandbox_wallets"] = texts.sandbox_accounts()

    return _render(request, "checkout/pay.html", context)


@sensitive_variables("form")
def _dcc_shown(order: Order, form: PaymentForm | None) -> dcc.DccOfferView | None:
    """The DCC offer to show again with a card typed in (a new one once it expired)."""
    if form is None or form.data.get("method") != "card" or form.data.get("saved_card"):
        return None
    return dcc.offer_for(
        order, number=form.data.get("number", ""), chosen=form.data.get("dcc_quote", "")
    )


# --- a payment: verification, transfer instructions, result -------------------------------------


def _post_or_back_to_payment(view):
    """Like ``require_POST``, but a GET (a reload from history, a restored tab, a copied link of
    a form's address) is sent to the payment's page instead of a blank 405."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return redirect(_payment_url(_payment(token, payment_id)))
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, token, payment_id)

    return wrapper


def _payment_context(payment: Payment, **extra) -> dict:
    order = payment.order
    context = {**_base_context(order), "payment": payment, **extra}
    if payment.status == Payment.Status.REQUIRES_ACTION:
        challenge = context["challenge"] = otp_challenge_current(payment=payment)
        context["code_expired"] = bool(challenge) and challenge.valid_until <= timezone.now()
        context.update(passkey_context(payment=payment, challenge=challenge))
        context.setdefault("otp_form", OtpForm())
    if payment.status == Payment.Status.DECLINED:
        context["decline_text"] = decline_message(payment.decline_code)
        context["decline_title"] = decline_title(payment.decline_code)
        context["retryable"] = payment.decline_code in RETRYABLE_DECLINES
    if payment.transfer.get("expires_at"):
        context["deadline"] = datetime.fromisoformat(
            payment.transfer["expires_at"].replace("Z", "+00:00")
        )
    context["succeeded"] = payment.status in SUCCEEDED
    # The card the shopper agreed to save is saved once the payment succeeds, on any path here.
    context["card_saved"] = context["succeeded"] and saving.card_saved(payment)
    # After an OTP code, a saved card may get a passkey (one is enough to be offered).
    context["passkey_registrable"] = (
        context["succeeded"] and passkey_registrable(payment=payment) and not passkeys_for(payment)
    )
    context["can_retry"] = not _order_closed(order) and not _active_payment(order)
    if context["can_retry"]:
        pay_url = reverse("checkout:pay", args=[order.checkout_token])
        context["retry_url"] = f"{pay_url}?{urlencode({'method': payment.method_type})}"
    return context


def passkey_context(*, payment: Payment, challenge) -> dict:
    """The passkey's part of the code page: offered first while no code was sent."""
    offered = challenge is not None and passkey_offered(payment=payment)
    return {"passkey_offered": offered, "passkey_first": offered and not challenge.token_hash}


def _payment_template(payment: Payment) -> str:
    if payment.status == Payment.Status.REQUIRES_ACTION:
        return "checkout/otp.html"
    if payment.status == Payment.Status.PROCESSING:
        return "checkout/transfer.html" if payment.transfer else "checkout/processing.html"
    return "checkout/result.html"


@never_cache
@require_GET
def payment_page(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    """Show the payment as it stands: code entry, transfer instructions, or the result."""
    payment = _payment(token, payment_id)
    if (
        payment.status == Payment.Status.REQUIRES_ACTION
        and _order_closed(payment.order) == Order.Status.EXPIRED
    ):
        # The beat task has not expired the order yet; its deadline holds, as on the order page.
        context = {**_base_context(payment.order), "reason": Order.Status.EXPIRED}
        return _render(request, "checkout/closed.html", context)
    return _render(request, _payment_template(payment), _payment_context(payment))


@never_cache
@_post_or_back_to_payment
@sensitive_post_parameters("code")
def payment_verify(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    payment = _payment(token, payment_id)
    form = OtpForm(request.POST)
    tries_in_error = False
    if form.is_valid():
        try:
            saving.card_saved(otp_verify(payment_pk=payment.pk, code=form.cleaned_data["code"]))
        except OtpError as err:
            form.add_error("code", err.message)
            # A wrong code's message already says how many tries are left: say it once.
            tries_in_error = hasattr(err, "attempts_remaining")
        except InvalidTransition:
            pass  # already verified, declined or canceled: the page shows which
        else:
            return redirect(_payment_url(payment))
    payment.refresh_from_db()
    if not can_proceed(payment.resume):  # no longer waiting for a code
        return redirect(_payment_url(payment))
    return _render(
        request,
        "checkout/otp.html",
        _payment_context(payment, otp_form=form, tries_in_error=tries_in_error),
    )


@never_cache
@_post_or_back_to_payment
def payment_resend(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    payment = _payment(token, payment_id)
    try:
        challenge = otp_resend(payment_pk=payment.pk)
    except (OtpResendNotAllowed, InvalidTransition) as err:
        payment.refresh_from_db()
        if not can_proceed(payment.resume):  # no longer waiting for a code
            return redirect(_payment_url(payment))
        return _render(
            request, "checkout/otp.html", _payment_context(payment, resend_error=err.message)
        )
    messages.info(
        request, _("We sent a new code to %(to)s.") % {"to": challenge.masked_destination}
    )
    return redirect(_payment_url(payment))


@never_cache
@_post_or_back_to_payment
def payment_abandon(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    """Give up a code or a transfer still awaited, to choose another method."""
    payment = _payment(token, payment_id)
    try:
        payment_abandon_by_shopper(payment_pk=payment.pk)
    except InvalidTransition:
        # Finished meanwhile (another tab, the bank): its page says how it ended.
        return redirect(_payment_url(payment))
    except DomainError as err:
        messages.error(request, err.message)
        return redirect(_payment_url(payment))
    return redirect("checkout:pay", token=token)


@never_cache
@require_GET
def payment_status(request: HttpRequest, token: str, payment_id: str) -> JsonResponse:
    """The payment's state for the page's poll (same origin; no card data)."""
    payment = _payment(token, payment_id)
    return JsonResponse(
        {"id": payment.public_id, "status": payment.status, "order_status": payment.order.status}
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: on a checkout address, a checkout page linking back to the order
    (nothing was done); anywhere else Django's own page."""
    match = request.resolver_match
    token = match.kwargs.get("token") if match and match.namespace == "checkout" else None
    order = order_for_checkout(token) if token else None
    if order is None:
        return django_csrf_failure(request, reason=reason)
    response = _render(request, "checkout/csrf_failed.html", _base_context(order), status=403)
    add_never_cache_headers(response)
    return response


# --- sandbox-only pages ---------------------------------------------------------------------------


@never_cache
@_post_or_back_to_payment
def transfer_simulate(request: HttpRequest, token: str, payment_id: str) -> HttpResponse:
    """Sandbox: make the shopper's bank transfer arrive."""
    payment = _payment(token, payment_id)
    if not _sandbox(payment.order) or not payment.transfer:
        raise Http404("Only test-mode transfers can be simulated.")
    try:
        bank_transfer_simulate(
            transfer_reference=payment.transfer["reference"], amount=payment.transfer["amount"]
        )
    except (NotFound, ValidationFailed) as err:
        messages.error(request, err.message)
    return redirect(_payment_url(payment))


@never_cache
@require_GET
def sandbox_inbox(request: HttpRequest, token: str) -> HttpResponse:
    """Sandbox: the messages (one-time codes) delivered for this order's payments."""
    order = _order(token)
    if not _sandbox(order):
        raise Http404("The sandbox inbox exists only for test-mode orders.")
    inbox = OutboxMessage.objects.filter(payment__order=order).order_by("-created", "-id")
    active = _active_payment(order)
    context = {
        **_base_context(order),
        "inbox": inbox,
        "inbox_back_url": _payment_url(active) if active else reverse("checkout:pay", args=[token]),
    }
    return _render(request, "checkout/inbox.html", context)
