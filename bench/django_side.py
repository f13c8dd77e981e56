"""Work the bench does inside Django, in a subprocess configured for one scratch database.

``python -m bench.django_side <command> '<json args>'`` prints one JSON document on stdout.
Commands: ``setup-http`` (merchants, API keys, orders to open at checkout), ``round-trips``
(statements, commits and round trips per one-call payment), ``micro`` (OTP and
card validation rates beside their trivial baselines), ``webhooks-seed`` / ``webhooks-status``,
``settle-seed`` / ``settle-check``, ``billing-seed`` / ``billing-advance`` / ``billing-check`` /
``billing-baseline`` (in ``bench.billing_side``), ``risk-eval`` (in ``bench.risk_side``),
``b2b-seed`` / ``b2b-create`` / ``b2b-run`` / ``b2b-check`` (in ``bench.b2b_side``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OTP_EVERY_PAYMENT_CARD = "4000002760003184"  # the sandbox asks for a code on every payment


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")
    import django

    django.setup()


def _seeded() -> None:
    from institutions.models import SandboxAccount
    from institutions.services import sandbox_accounts_seed

    if not SandboxAccount.objects.exists():
        sandbox_accounts_seed()


def setup_http(*, clients: int, orders: int, shared_keys: int = 8) -> dict:
    """Create one merchant and API key per client, and ``orders`` pending orders; and one more
    merchant with ``shared_keys`` keys (the scale figure: many clients, one merchant's cards)."""
    from payments.services import api_key_create, merchant_create, order_create

    _seeded()
    keys, merchants = [], []
    for n in range(clients):
        merchant = merchant_create(name=f"Bench merchant {n + 1}")
        merchants.append(merchant)
        keys.append(api_key_create(merchant=merchant, name="bench")[1])
    shared = merchant_create(name="Bench merchant, shared")
    shared_api_keys = [
        api_key_create(merchant=shared, name=f"bench {n}")[1] for n in range(shared_keys)
    ]
    paths = []
    for n in range(orders):
        order = order_create(
            merchant=merchants[n % len(merchants)],
            amount=1999 + n,
            currency="USD",
            reference=f"checkout-{n}",
            description="Bench order: one item",
            return_url="https://shop.example/return",
        )
        paths.append(f"/checkout/{order.checkout_token}/")
    return {"api_keys": keys, "checkout_paths": paths, "shared_api_keys": shared_api_keys}


def round_trips(*, payments: int, api_key: str) -> dict:
    """Pay ``payments`` times in one call through the whole HTTP stack (Django's test client,
    production settings) and count what reaches PostgreSQL per payment: statements (Django's
    ``execute_wrapper``), transactions (``pg_stat_database``) and so round trips (each explicit
    transaction adds its BEGIN and COMMIT to its statements)."""
    import uuid

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key}", HTTP_HOST="127.0.0.1")
    statements = {"all": 0, "autocommit": 0}

    def count(execute, sql, params, many, context):
        statements["all"] += 1
        statements["autocommit"] += not connection.in_atomic_block
        return execute(sql, params, many, context)

    def commits() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    def pay() -> None:
        body = {
            "amount": 1000,
            "currency": "USD",
            "reference": f"trips-{uuid.uuid4().hex}",
            "payment_method": {"type": "card", "card": _HTTP_CARD},
        }
        response = client.post(
            "/api/v1/payments",
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert response.status_code == 201 and response.json()["payment"]["status"] == "captured"

    pay()  # the card's first payment opens its sandbox balance
    before = commits()
    with connection.execute_wrapper(count):
        for _ in range(payments):
            pay()
    # The statements of ``commits`` itself: 2 before, 2 after, each in autocommit.
    transactions = commits() - before - 2
    explicit = transactions - statements["autocommit"]
    return {
        "payments": payments,
        "statements_per_payment": round(statements["all"] / payments, 2),
        "commits_per_payment": round(transactions / payments, 2),
        "explicit_transactions_per_payment": round(explicit / payments, 2),
        "round_trips_per_payment": round((statements["all"] + 2 * explicit) / payments, 2),
    }


_HTTP_CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}


def _per_second(fn, seconds: float) -> tuple[float, int]:
    """Call ``fn`` until ``seconds`` have passed; return calls per second and the call count."""
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            fn()
        calls += 100
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start), calls


def micro(*, otp_payments: int, seconds: float, prepare_seconds: float = 8.0) -> dict:
    """Measure OTP verification and PAN validation, each beside its trivial baseline."""
    import hashlib
    import hmac
    import re

    from django.utils.crypto import constant_time_compare

    from payments.models import OtpChallenge, OutboxMessage, Payment
    from payments.services import (
        MethodInput,
        merchant_create,
        order_create,
        otp_verify,
        payment_create,
    )
    from payments.services.challenges import code_hash
    from payments.validation import luhn_valid, validate_card

    _seeded()
    results: dict = {}

    # --- PAN validation: the whole card check vs. the Luhn sum alone --------------------------
    def validate():
        card, errors = validate_card(
            number="4242 4242 4242 4242", exp_month=12, exp_year=2035, cvc="123", holder_name="Ada"
        )
        assert card is not None and not errors

    def luhn():
        assert luhn_valid("4242424242424242")

    results["validate_card_per_s"], _ = _per_second(validate, seconds)
    results["luhn_per_s"], _ = _per_second(luhn, seconds)

    # --- OTP: the code check (what otp_verify computes) vs. hmac.compare_digest alone ----------
    merchant = merchant_create(name="Bench OTP merchant")
    challenge = OtpChallenge(payment_id=1)
    stored = code_hash(challenge, "123456")

    def code_check():
        assert constant_time_compare(code_hash(challenge, "123456"), stored)

    digest = hashlib.sha256(b"123456").hexdigest()

    def compare():
        assert hmac.compare_digest(digest, digest)

    results["otp_code_check_per_s"], _ = _per_second(code_check, seconds)
    results["compare_digest_per_s"], _ = _per_second(compare, seconds)

    # --- OTP: the full service on payments waiting in requires_action -------------------------
    from django.conf import settings

    # Every code goes to the one sandbox phone: the per-destination cap that protects shoppers
    # (payments.services.otp_limits) would stop the bench after a few payments.
    settings.PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION = otp_payments + 1
    method = MethodInput(
        type="card", number=OTP_EVERY_PAYMENT_CARD, exp_month=12, exp_year=2035, cvc="123",
        holder_name="Ada Lovelace",
    )  # fmt: skip
    prepared = []
    t0 = time.perf_counter()
    # Bounded in count and time: preparing costs a full authorization each.
    for n in range(otp_payments):
        if prepared and time.perf_counter() - t0 > prepare_seconds:
            break
        order = order_create(merchant=merchant, amount=1000, currency="USD", reference=f"otp-{n}")
        payment = payment_create(order=order, method=method)
        if payment.status != Payment.Status.REQUIRES_ACTION:
            raise RuntimeError(f"OTP card gave {payment.status}, not requires_action")
        body = OutboxMessage.objects.filter(payment=payment).order_by("-id").first().body
        prepared.append((payment.pk, re.search(r"\b(\d{6})\b", body).group(1)))
    results["otp_payment_create_per_s"] = len(prepared) / (time.perf_counter() - t0)

    captured = 0
    t0 = time.perf_counter()
    for payment_pk, code in prepared:
        payment = otp_verify(payment_pk=payment_pk, code=code)
        captured += payment.status == Payment.Status.CAPTURED
    elapsed = time.perf_counter() - t0
    if captured != len(prepared):
        raise RuntimeError(f"only {captured} of {len(prepared)} verified payments were captured")
    results["otp_verify_per_s"] = len(prepared) / elapsed
    results["otp_verify_count"] = len(prepared)
    return results


def webhooks_seed(*, url: str, deliveries: int, broker_url: str) -> dict:
    """Register an endpoint at ``url`` and queue ``deliveries`` webhook deliveries for it.

    Orders are created through the service: each records ``order.created`` and, in the same
    transaction, its delivery. The wake-up messages that queues are dropped, then one
    ``webhook_deliver_task`` per delivery is queued: the worker started afterwards only delivers.
    """
    import redis

    from payments.services import merchant_create, order_create
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_endpoint_create
    from webhooks.tasks import webhook_deliver_task

    merchant = merchant_create(name="Bench webhooks merchant")
    endpoint, _ = webhook_endpoint_create(
        merchant=merchant, livemode=False, url=url, enabled_events=["*"]
    )
    t0 = time.perf_counter()
    for n in range(deliveries):
        order_create(merchant=merchant, amount=1000, currency="USD", reference=f"hook-{n}")
    redis.Redis.from_url(broker_url).flushdb()
    pks = list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True))
    for pk in pks:
        webhook_deliver_task.delay(pk)
    return {"deliveries": len(pks), "seed_s": round(time.perf_counter() - t0, 2)}


def webhooks_status() -> dict:
    """Return deliveries by status and the span of their attempts (epoch seconds)."""
    from django.db.models import Count, Max, Min

    from webhooks.models import WebhookAttempt, WebhookDelivery

    by_status = dict(
        WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    span = WebhookAttempt.objects.aggregate(
        first=Min("started_at"), last=Max("finished_at"), n=Count("id")
    )
    latency = sorted(
        WebhookAttempt.objects.filter(latency_ms__isnull=False).values_list("latency_ms", flat=True)
    )
    return {
        "by_status": by_status,
        "attempts": span["n"],
        "first_started": span["first"].timestamp() if span["first"] else None,
        "last_finished": span["last"].timestamp() if span["last"] else None,
        "receiver_latency_ms_p50": latency[len(latency) // 2] if latency else None,
    }


def settle_seed(
    *, payments: int, merchants: int, captured_before: str, spread_seconds: int
) -> dict:
    """Bulk-insert captured payments with ``bench.settlement_seed``; return the time taken.

    Loaded in chunks of at most 250,000 payments (each chunk with its own share of the new
    merchants, in a transaction of its own).
    """
    from datetime import datetime

    from bench.settlement_seed import payments_bulk_insert

    chunks = max(1, -(-payments // 250_000))
    t0 = time.perf_counter()
    for k in range(chunks):
        payments_bulk_insert(
            payments=payments // chunks + (1 if k < payments % chunks else 0),
            merchants=merchants // chunks + (1 if k < merchants % chunks else 0),
            captured_before=datetime.fromisoformat(captured_before),
            spread_seconds=spread_seconds,
        )
    return {"seed_s": round(time.perf_counter() - t0, 2), "chunks": chunks}


def settle_check(*, cutoffs: list[str]) -> dict:
    """Return what the settlement runs produced: batches, lines, payments left unsettled."""
    from datetime import datetime

    from django.db.models import Count, Sum

    from payments.models import Payment
    from settlement.models import SettlementBatch, SettlementLine

    result = {}
    for cutoff in cutoffs:
        at = datetime.fromisoformat(cutoff)
        batches = SettlementBatch.objects.filter(cutoff=at).aggregate(
            n=Count("id"), payments=Sum("payment_count"), gross=Sum("gross_amount")
        )
        result[cutoff] = batches
    result["lines"] = SettlementLine.objects.count()
    result["captured_unsettled"] = Payment.objects.filter(
        status="captured", settlement_line__isnull=True
    ).count()
    return result


def _billing():
    from bench import billing_side

    return billing_side


def _risk():
    from bench import risk_side

    return risk_side


def _b2b():
    from bench import b2b_side

    return b2b_side


COMMANDS = {
    "setup-http": setup_http,
    "round-trips": round_trips,
    "micro": micro,
    "webhooks-seed": webhooks_seed,
    "webhooks-status": webhooks_status,
    "settle-seed": settle_seed,
    "settle-check": settle_check,
    "billing-seed": lambda **args: _billing().seed(**args),
    "billing-advance": lambda **args: _billing().advance(**args),
    "billing-check": lambda **args: _billing().check(**args),
    "billing-baseline": lambda **args: _billing().baseline(**args),
    "risk-eval": lambda **args: _risk().evaluate(**args),
    "b2b-seed": lambda **args: _b2b().seed(**args),
    "b2b-create": lambda **args: _b2b().create(**args),
    "b2b-run": lambda **args: _b2b().run(**args),
    "b2b-check": lambda **args: _b2b().check(**args),
}


def main() -> int:
    command, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    _django()
    result = COMMANDS[command](**args)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
