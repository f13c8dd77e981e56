"""The risk figure's work inside Django (``python -m bench.django_side risk-eval``).

Two merchants, each with one captured payment: one without rules (the baseline), one with
``rules`` active CEL rules of the kinds merchants write (amount and country, velocity, e-mail,
BIN, the model's score). Each sample deletes the payment's evaluation and times the whole
screening (``risk.services.screening.payment_screen``: features, velocity counts in Redis, the
score, the rules, the lists, the card-testing guard, writing the evaluation) inside a
transaction that is rolled back; samples of the two merchants alternate, so both see the same
machine load and the same velocity counters growing.
"""

from __future__ import annotations

import statistics
import time

EXPRESSIONS = (
    "amount > {big} && card_country != ip_country",
    "card_declines_1h > {n} || ip_declines_1h > {n}",
    "email_domain == 'fraud{i}.example'",
    "card_bin == '4{i:05d}'",
    "risk_score > 90 && amount > {small}",
    "ip_distinct_cards_1h > {n} && currency == 'USD'",
    "email_disposable && amount > {small}",
    "card_country in ['KP', 'IR', 'X{i}'] || ip_country == 'X{i}'",
)
ACTIONS = ("block", "review", "allow", "request_otp", "review")


def _payment(merchant, *, amount: int):
    from payments.services import MethodInput, order_create, payment_create

    order = order_create(
        merchant=merchant,
        amount=amount,
        currency="USD",
        reference=f"risk-bench-{merchant.pk}",
        return_url="https://shop.example/return",
        customer_email="ada@shop.example",
    )
    method = MethodInput(
        type="card", number="4242424242424242", exp_month=12, exp_year=2035, cvc="123",
        holder_name="Ada Lovelace",
    )  # fmt: skip
    return payment_create(order=order, method=method)


def _rules_create(merchant, count: int) -> None:
    from risk.services.rules import rule_create

    for i in range(count):
        expression = EXPRESSIONS[i % len(EXPRESSIONS)].format(
            i=i, n=20 + i, big=10_000_000 + i, small=5_000_000 + i
        )
        rule_create(
            merchant=merchant,
            livemode=False,
            name=f"Bench rule {i + 1}",
            expression=expression,
            action=ACTIONS[i % len(ACTIONS)],
            mode="active",
            points=(i % 7) - 3,
        )


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(*, samples: int, rules: int, seconds: float = 150.0, warmup: int = 100) -> dict:
    """Time up to ``samples`` screenings of each merchant, stopping after ``seconds`` of
    sampling (a loaded machine gets fewer samples, not a timeout)."""
    from django.db import transaction

    from bench.django_side import _seeded
    from payments.services import merchant_create
    from payments.validation import validate_card
    from risk.models import Evaluation
    from risk.services.screening import payment_screen

    _seeded()
    card, errors = validate_card(
        number="4242424242424242", exp_month=12, exp_year=2035, cvc="123", holder_name="Ada"
    )
    assert card is not None and not errors
    plain = merchant_create(name="Risk bench: no rules")
    ruled = merchant_create(name=f"Risk bench: {rules} rules")
    _rules_create(ruled, rules)
    payments = {"none": _payment(plain, amount=4200), "rules": _payment(ruled, amount=4200)}
    decisions = {}

    def once(payment) -> tuple[float, float]:
        with transaction.atomic():
            Evaluation.objects.filter(payment=payment).delete()
            start, cpu = time.perf_counter(), time.process_time()
            payment_screen(payment=payment, order=payment.order, card=card)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            transaction.set_rollback(True)
        return elapsed * 1000, cpu * 1000

    times: dict[str, list[float]] = {"none": [], "rules": [], "none_cpu": [], "rules_cpu": []}
    deadline = time.monotonic() + seconds
    for n in range(warmup + samples):
        if n > warmup + 100 and time.monotonic() > deadline:
            break
        for name, payment in payments.items():
            ms, cpu_ms = once(payment)
            if n >= warmup:
                times[name].append(ms)
                # This process's CPU time alone: what time-slicing on a loaded machine adds to
                # the wall time is not in it (the database server's work is not either).
                times[f"{name}_cpu"].append(cpu_ms)
    for name, payment in payments.items():
        decisions[name] = (
            Evaluation.objects.filter(payment=payment).values_list("decision", flat=True).first()
        )
    out = {"samples": len(times["none"]), "rules": rules, "first_decisions": decisions}
    for name, values in times.items():
        out[f"{name}_p50_ms"] = _p(values, 50)
        out[f"{name}_p95_ms"] = _p(values, 95)
        out[f"{name}_p99_ms"] = _p(values, 99)
        out[f"{name}_mean_ms"] = statistics.fmean(values)
    return out
