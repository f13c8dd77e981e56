"""What the hostile-input tests of the API share: every operation of the schema with a valid
request (``OPERATIONS``), the objects they act on (``World``, made by the ``world`` fixture of
``tests/api/conftest.py``), a snapshot of every row a request could write, and the check of a
problem document. The tests are in ``test_api_hostile_*.py``, in three files so that
pytest-xdist (``--dist loadfile``) can share them between its processes.
"""

import base64
from urllib.parse import quote, urlencode

from tests.api.conftest import card_body

PROBLEM = "application/problem+json"


def _public_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


PROBE_PUBLIC_KEY = _public_pem()
WORLD_PUBLIC_KEY = _public_pem()

LIST_URLS = [
    "/api/v1/orders",
    "/api/v1/payments",
    "/api/v1/refunds",
    "/api/v1/events",
    "/api/v1/settlements",
    "/api/v1/webhook-endpoints",
    "/api/v1/customers",
    "/api/v1/prices",
    "/api/v1/invoices",
    "/api/v1/subscriptions",
    "/api/v1/test-clocks",
    "/api/v1/request-logs",
    "/api/v1/signing-keys",
]


def assert_problem(response, status, code, *, field=None):
    """Assert a problem document of ``status`` and ``code`` (and an error naming ``field``)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["detail"] and body["title"] and body["type"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        assert all(e["code"] and e["message"] for e in body["errors"])
    return body


def _cursor(**tokens) -> str:
    """A cursor as the API encodes one: base64 of a query string (o offset, r reverse, p position)."""
    return quote(base64.b64encode(urlencode(tokens).encode()).decode())


# --- every operation of the schema -------------------------------------------------------------
#
# Each operation with the objects it acts on (a key of ``World``) and a valid body, so that a
# probe reaches the code behind the parsing: a refusal there must be a 4xx problem too.

ORDER_CREATE = ("post", "/api/v1/orders")
CUSTOMER_CREATE = ("post", "/api/v1/customers")
CARD = ("post", "/api/v1/orders/{order_id}/payments")
METHOD_OTP = ("post", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp")
OPERATIONS = {
    ("get", "/api/v1/orders"): ({}, None),
    ("post", "/api/v1/orders"): ({}, {"amount": 1000, "currency": "USD", "reference": "probe"}),
    ("get", "/api/v1/orders/{order_id}"): ({"order_id": "order"}, None),
    ("post", "/api/v1/orders/{order_id}/cancel"): ({"order_id": "order"}, None),
    ("post", "/api/v1/orders/{order_id}/payments"): (
        {"order_id": "order"},
        {"payment_method": card_body()},
    ),
    ("get", "/api/v1/payments"): ({}, None),
    ("post", "/api/v1/payments"): (
        {},
        {"amount": 1000, "currency": "USD", "reference": "probe", "payment_method": card_body()},
    ),
    ("get", "/api/v1/payments/{payment_id}"): ({"payment_id": "captured"}, None),
    ("post", "/api/v1/payments/{payment_id}/otp"): ({"payment_id": "challenged"}, {"code": ""}),
    ("post", "/api/v1/payments/{payment_id}/otp/resend"): ({"payment_id": "challenged"}, None),
    ("post", "/api/v1/payments/{payment_id}/capture"): (
        {"payment_id": "authorized"},
        {"amount": 500},
    ),
    ("post", "/api/v1/payments/{payment_id}/cancel"): ({"payment_id": "authorized"}, None),
    ("post", "/api/v1/payments/{payment_id}/refunds"): (
        {"payment_id": "captured"},
        {"amount": 100, "reason": "probe"},
    ),
    ("get", "/api/v1/refunds"): ({}, None),
    ("get", "/api/v1/refunds/{refund_id}"): ({"refund_id": "refund"}, None),
    ("get", "/api/v1/events"): ({}, None),
    ("get", "/api/v1/events/{event_id}"): ({"event_id": "event"}, None),
    ("post", "/api/v1/events/{event_id}/redeliver"): ({"event_id": "event"}, {}),
    ("get", "/api/v1/webhook-endpoints"): ({}, None),
    ("post", "/api/v1/webhook-endpoints"): (
        {},
        {"url": "https://example.com/hooks", "enabled_events": ["*"], "description": "probe"},
    ),
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}"): ({"endpoint_id": "endpoint"}, None),
    ("patch", "/api/v1/webhook-endpoints/{endpoint_id}"): (
        {"endpoint_id": "endpoint"},
        {"description": "changed", "enabled": False},
    ),
    ("delete", "/api/v1/webhook-endpoints/{endpoint_id}"): ({"endpoint_id": "endpoint"}, None),
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): (
        {"endpoint_id": "endpoint"},
        None,
    ),
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/redeliver-failed"): (
        {"endpoint_id": "endpoint"},
        {"since": "2020-01-01T00:00:00Z"},
    ),
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"): (
        {"endpoint_id": "endpoint"},
        None,
    ),
    ("get", "/api/v1/sandbox/otp-messages"): ({}, None),
    ("post", "/api/v1/sandbox/bank-transfers"): ({}, {"reference": "transfer", "amount": 1000}),
    ("post", "/api/v1/sandbox/reset"): ({}, None),
    ("get", "/api/v1/settlements"): ({}, None),
    ("get", "/api/v1/settlements/{settlement_id}"): ({"settlement_id": "settlement"}, None),
    ("get", "/api/v1/settlements/{settlement_id}/report.csv"): (
        {"settlement_id": "settlement"},
        None,
    ),
    ("get", "/api/v1/fx/rates"): ({}, None),
    ("post", "/api/v1/fx/quotes"): (
        {},
        {"from_currency": "EUR", "to_currency": "USD", "amount": 1000, "lock": "1h"},
    ),
    ("get", "/api/v1/prices"): ({}, None),
    ("post", "/api/v1/prices"): (
        {},
        {"product_name": "Probe", "amount": 1000, "currency": "USD", "interval": "month"},
    ),
    ("get", "/api/v1/prices/{price_id}"): ({"price_id": "price"}, None),
    ("get", "/api/v1/invoices"): ({}, None),
    ("get", "/api/v1/invoices/{invoice_id}"): ({"invoice_id": "invoice"}, None),
    ("get", "/api/v1/customers"): ({}, None),
    ("post", "/api/v1/customers"): (
        {},
        {"email": "probe@example.com", "name": "Probe", "metadata": {"k": "v"}},
    ),
    ("get", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, None),
    ("patch", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, {"name": "New"}),
    ("delete", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, None),
    ("get", "/api/v1/customers/{customer_id}/payment-methods"): (
        {"customer_id": "customer"},
        None,
    ),
    ("post", "/api/v1/customers/{customer_id}/payment-methods"): (
        {"customer_id": "customer"},
        {
            **card_body(),
            "consent": {"text": "Save my card.", "ip": "203.0.113.7", "usage": "off_session"},
        },
    ),
    ("get", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}"): (
        {"customer_id": "customer", "payment_method_id": "saved_method"},
        None,
    ),
    ("delete", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}"): (
        {"customer_id": "customer", "payment_method_id": "saved_method"},
        None,
    ),
    METHOD_OTP: (
        {"customer_id": "customer", "payment_method_id": "verifying_method"},
        {"code": ""},
    ),
    (
        "post",
        "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp/resend",
    ): ({"customer_id": "customer", "payment_method_id": "verifying_method"}, None),
    (
        "get",
        "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp-messages",
    ): ({"customer_id": "customer", "payment_method_id": "verifying_method"}, None),
    ("get", "/api/v1/subscriptions"): ({}, None),
    ("post", "/api/v1/subscriptions"): ({}, {}),  # the world's customer, price and card
    ("get", "/api/v1/subscriptions/{subscription_id}"): ({"subscription_id": "subscription"}, None),
    ("post", "/api/v1/subscriptions/{subscription_id}"): (
        {"subscription_id": "subscription"},
        {},  # the world's price
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/cancel"): (
        {"subscription_id": "subscription"},
        {"at_period_end": True},
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/pause"): (
        {"subscription_id": "subscription"},
        None,
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/resume"): (
        {"subscription_id": "paused_subscription"},
        None,
    ),
    ("get", "/api/v1/subscriptions/{subscription_id}/attempts"): (
        {"subscription_id": "subscription"},
        None,
    ),
    ("get", "/api/v1/billing-settings"): ({}, None),
    ("post", "/api/v1/billing-settings"): (
        {},
        {"retry_schedule_days": [1, 3, 7], "final_status": "canceled"},
    ),
    ("get", "/api/v1/test-clocks"): ({}, None),
    ("post", "/api/v1/test-clocks"): ({}, {"frozen_time": "2026-01-31T10:00:00Z", "name": "P"}),
    ("get", "/api/v1/test-clocks/{clock_id}"): ({"clock_id": "clock"}, None),
    ("post", "/api/v1/test-clocks/{clock_id}/advance"): (
        {"clock_id": "clock"},
        {"frozen_time": "2026-02-01T10:00:00Z"},
    ),
    ("post", "/api/v1/invoices"): (
        {},
        {
            "customer": "",  # the world's customer
            "currency": "EUR",
            "lines": [{"description": "Probe", "quantity": 2, "unit_amount": 1000}],
            "due_days": 14,
            "memo": "m",
            "footer": "f",
            "metadata": {"k": "v"},
        },
    ),
    ("patch", "/api/v1/invoices/{invoice_id}"): (
        {"invoice_id": "invoice"},
        {"memo": "changed", "due_days": 7},
    ),
    ("post", "/api/v1/invoices/{invoice_id}/finalize"): ({"invoice_id": "invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/void"): ({"invoice_id": "open_invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/mark-uncollectible"): (
        {"invoice_id": "open_invoice"},
        None,
    ),
    ("post", "/api/v1/invoices/{invoice_id}/send"): (
        {"invoice_id": "open_invoice"},
        {"email": "probe@example.com"},
    ),
    ("get", "/api/v1/invoices/{invoice_id}/pdf"): ({"invoice_id": "open_invoice"}, None),
    ("get", "/api/v1/invoices/{invoice_id}/credit-notes"): ({"invoice_id": "open_invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/credit-notes"): (
        {"invoice_id": "open_invoice"},
        {"amount": 100, "reason": "other", "memo": "m", "credit_to": "refund"},
    ),
    ("get", "/api/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}/pdf"): (
        {"invoice_id": "open_invoice", "credit_note_id": "credit_note"},
        None,
    ),
    ("get", "/api/v1/risk/rules"): ({}, None),
    ("post", "/api/v1/risk/rules"): (
        {},
        {"name": "Probe", "expression": "amount > 100000", "action": "block", "mode": "shadow"},
    ),
    ("get", "/api/v1/risk/rules/{rule_id}"): ({"rule_id": "rule"}, None),
    ("patch", "/api/v1/risk/rules/{rule_id}"): ({"rule_id": "rule"}, {"name": "Changed"}),
    ("get", "/api/v1/risk/rules/{rule_id}/versions"): ({"rule_id": "rule"}, None),
    ("post", "/api/v1/risk/rules/{rule_id}/backtest"): (
        {"rule_id": "rule"},
        {"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
    ),
    ("get", "/api/v1/disputes"): ({}, None),
    ("get", "/api/v1/disputes/{dispute_id}"): ({"dispute_id": "dispute"}, None),
    ("post", "/api/v1/disputes/{dispute_id}/evidence"): (
        {"dispute_id": "dispute"},
        {"uncategorized_text": "Receipt attached."},
    ),
    ("get", "/api/v1/disputes/{dispute_id}/evidence/files/{file_id}"): (
        {"file_id": "dispute_file", "dispute_id": "dispute"},  # the file id is forged
        None,
    ),
    ("post", "/api/v1/disputes/{dispute_id}/submit"): ({"dispute_id": "evidenced_dispute"}, None),
    ("post", "/api/v1/disputes/{dispute_id}/accept"): ({"dispute_id": "dispute"}, None),
    ("get", "/api/v1/risk/lists"): ({}, None),
    ("post", "/api/v1/risk/lists"): ({}, {"list": "block", "kind": "ip", "value": "192.0.2.99"}),
    ("delete", "/api/v1/risk/lists/{entry_id}"): ({"entry_id": "list_entry"}, None),
}
OPERATIONS |= {
    ("get", "/api/v1/payout-batches"): ({}, None),
    ("post", "/api/v1/payout-batches"): (
        {},
        {
            "reference": "probe-payouts",
            "items": [
                {
                    "name": "Probe supplier",
                    "iban": "DE89370400440532013000",
                    "amount": 500,  # of the 10.00 EUR the world settles, less its fees
                    "currency": "EUR",
                    "reference": "probe-payout-1",
                }
            ],
        },
    ),
    ("get", "/api/v1/payout-batches/{batch_id}"): ({"batch_id": "payout_batch"}, None),
    ("get", "/api/v1/payout-batches/{batch_id}/payouts"): ({"batch_id": "payout_batch"}, None),
    ("get", "/api/v1/charge-batches"): ({}, None),
    ("get", "/api/v1/request-logs"): ({}, None),
    ("get", "/api/v1/signing-keys"): ({}, None),
    ("post", "/api/v1/signing-keys"): ({}, {"public_key": PROBE_PUBLIC_KEY, "name": "probe"}),
    ("get", "/api/v1/signing-keys/{key_id}"): ({"key_id": "signing_key"}, None),
    ("delete", "/api/v1/signing-keys/{key_id}"): ({"key_id": "signing_key"}, None),
    ("post", "/api/v1/charge-batches"): ({}, {"reference": "probe-charges", "items": []}),
    ("get", "/api/v1/charge-batches/{batch_id}"): ({"batch_id": "charge_batch"}, None),
    ("post", "/api/v1/charge-batches/{batch_id}/start"): ({"batch_id": "charge_batch"}, None),
}
WRITES = [op for op in OPERATIONS if op[0] != "get"]
WITH_PATH_ID = [op for op in OPERATIONS if OPERATIONS[op][0]]


class World:
    """A merchant's objects, each made the first time a test asks for it (through the API)."""

    def __init__(self, client, create_order, pay_order):
        self.client, self._create_order, self._pay_order = client, create_order, pay_order
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    def _pay(self, method, **order_fields) -> dict:
        order = self._create_order(self.client, **order_fields)
        response = self._pay_order(order["id"], method, client=self.client)
        assert response.status_code == 201, response.content
        return response.json()

    def _make_order(self) -> str:
        return self._create_order(self.client)["id"]

    def _make_captured(self) -> str:
        return self._pay(card_body())["id"]

    def _make_authorized(self) -> str:
        return self._pay(card_body(), capture_method="manual")["id"]

    def _make_challenged(self) -> str:
        from tests.conftest import OTP_CARD

        return self._pay(card_body(OTP_CARD))["id"]

    def _make_transfer(self) -> str:
        return self._pay({"type": "bank_transfer"})["next_action"]["reference"]

    def _make_refund(self) -> str:
        response = self.client.post(
            f"/api/v1/payments/{self['captured']}/refunds", {"amount": 100}, format="json"
        )
        return response.json()["id"]

    def _make_event(self) -> str:
        self["order"]
        return self.client.get("/api/v1/events").json()["data"][0]["id"]

    def _make_endpoint(self) -> str:
        body = {"url": "https://example.com/hooks", "enabled_events": ["*"]}
        return self.client.post("/api/v1/webhook-endpoints", body, format="json").json()["id"]

    def _make_signing_key(self) -> str:
        body = {"public_key": WORLD_PUBLIC_KEY}
        return self.client.post("/api/v1/signing-keys", body, format="json").json()["id"]

    def _make_price(self) -> str:
        body = OPERATIONS[("post", "/api/v1/prices")][1]
        return self.client.post("/api/v1/prices", body, format="json").json()["id"]

    def _make_customer(self) -> str:
        body = {"email": "world@example.com"}  # an address to send its invoices to
        return self.client.post("/api/v1/customers", body, format="json").json()["id"]

    def _make_saved_method(self) -> str:
        operation = ("post", "/api/v1/customers/{customer_id}/payment-methods")
        url = f"/api/v1/customers/{self['customer']}/payment-methods"
        return self.client.post(url, OPERATIONS[operation][1], format="json").json()["id"]

    def _make_verifying_method(self) -> str:
        from tests.conftest import OTP_CARD

        operation = ("post", "/api/v1/customers/{customer_id}/payment-methods")
        url = f"/api/v1/customers/{self['customer']}/payment-methods"
        body = {**OPERATIONS[operation][1], **card_body(OTP_CARD)}
        return self.client.post(url, body, format="json").json()["id"]

    def _make_clock(self) -> str:
        body = {"frozen_time": "2026-01-31T10:00:00Z"}
        return self.client.post("/api/v1/test-clocks", body, format="json").json()["id"]

    def _subscribe(self) -> str:
        operation = ("post", "/api/v1/subscriptions")
        response = self.client.post("/api/v1/subscriptions", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_subscription(self) -> str:
        return self._subscribe()

    def _make_paused_subscription(self) -> str:
        subscription = self._subscribe()
        self.client.post(f"/api/v1/subscriptions/{subscription}/pause", {}, format="json")
        return subscription

    def _make_invoice(self) -> str:
        body = self.body(("post", "/api/v1/invoices"))
        return self.client.post("/api/v1/invoices", body, format="json").json()["id"]

    def _make_open_invoice(self) -> str:
        invoice = self["invoice"]
        return self.client.post(f"/api/v1/invoices/{invoice}/finalize").json()["id"]

    def _make_credit_note(self) -> str:
        url = f"/api/v1/invoices/{self['open_invoice']}/credit-notes"
        body = {"amount": 100, "reason": "other"}
        return self.client.post(url, body, format="json").json()["id"]

    def _make_dispute(self) -> str:
        from datetime import timedelta

        from django.utils import timezone

        from risk.services.disputes import disputes_open_due

        payment = self._pay(card_body("4000000000000259"))
        disputes_open_due(now=timezone.now() + timedelta(minutes=5))
        return self.client.get(f"/api/v1/disputes?payment={payment['id']}").json()["data"][0]["id"]

    def _make_evidenced_dispute(self) -> str:
        dispute = self._make_dispute()
        body = {"uncategorized_text": "Receipt attached."}
        self.client.post(f"/api/v1/disputes/{dispute}/evidence", body, format="json")
        return dispute

    def _make_dispute_file(self) -> str:
        from django.core.files.uploadedfile import SimpleUploadedFile

        url = f"/api/v1/disputes/{self['dispute']}/evidence"
        body = {"files": [SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%%EOF\n")]}
        response = self.client.post(url, body, format="multipart")
        assert response.status_code == 200, response.content
        return response.json()["evidence_files"][0]["id"]

    def _make_balance(self) -> str:
        """A settled EUR balance kept for bulk payouts (manual payouts): captured, then settled."""
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from payments.models import Merchant
        from settlement.services import cutoff_for, settlement_run

        merchant = Merchant.objects.get(
            payments__public_id=self._pay(card_body(), currency="EUR")["id"]
        )
        merchant.payout_schedule = "manual"
        merchant.save(update_fields=["payout_schedule"])
        cutoff = cutoff_for(timezone.now().date() + timedelta(days=1))
        with time_machine.travel(cutoff, tick=False):
            settlement_run(cutoff=cutoff)
        return merchant.public_id

    def _make_payout_batch(self) -> str:
        operation = ("post", "/api/v1/payout-batches")
        response = self.client.post("/api/v1/payout-batches", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_charge_batch(self) -> str:
        operation = ("post", "/api/v1/charge-batches")
        response = self.client.post("/api/v1/charge-batches", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_rule(self) -> str:
        body = OPERATIONS[("post", "/api/v1/risk/rules")][1]
        return self.client.post("/api/v1/risk/rules", body, format="json").json()["id"]

    def _make_list_entry(self) -> str:
        body = OPERATIONS[("post", "/api/v1/risk/lists")][1]
        return self.client.post("/api/v1/risk/lists", body, format="json").json()["id"]

    def _make_settlement(self) -> str:
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from settlement.services import cutoff_for, settlement_run

        self["captured"]
        cutoff = cutoff_for(timezone.now().date() + timedelta(days=1))
        with time_machine.travel(cutoff, tick=False):
            (batch,) = settlement_run(cutoff=cutoff)
        return batch.public_id

    def _make_rates(self) -> str:
        from datetime import date

        from fx.providers import EcbHistoryProvider
        from fx.rates import rates_import

        return str(rates_import(provider=EcbHistoryProvider(), since=date(2026, 10, 26)))

    def url(self, operation, **override) -> str:
        _, template = operation
        ids = {param: self[name] for param, name in OPERATIONS[operation][0].items()}
        if operation == ("get", "/api/v1/sandbox/otp-messages"):
            template += f"?payment={self['challenged']}"
        if template.startswith("/api/v1/fx/"):
            self["rates"]  # the ECB's fixings, loaded once
            if operation[0] == "get":
                template += "?base=EUR&quote=USD"
        return template.format(**{**ids, **override})

    def body(self, operation):
        body = OPERATIONS[operation][1]
        if operation == ("post", "/api/v1/invoices"):
            body = {**body, "customer": self["customer"]}
        if operation == ("post", "/api/v1/sandbox/bank-transfers"):
            body = {**body, "reference": self["transfer"]}
        if operation == ("post", "/api/v1/payments/{payment_id}/otp"):
            inbox = f"/api/v1/sandbox/otp-messages?payment={self['challenged']}"
            body = {"code": self.client.get(inbox).json()["data"][0]["code"]}
        if operation == ("post", "/api/v1/subscriptions"):
            body = {
                "customer": self["customer"],
                "price": self["price"],
                "payment_method": self["saved_method"],
                "trial_days": 0,
                "billing_cycle_anchor": None,
            }
        if operation == ("post", "/api/v1/subscriptions/{subscription_id}"):
            body = {"price": self["price"]}
        if operation == CUSTOMER_CREATE:
            body = {**body, "test_clock": self["clock"]}
        if operation == ("post", "/api/v1/payout-batches"):
            self["balance"]
        if operation == ("post", "/api/v1/charge-batches"):
            item = {
                "reference": "probe-charge-1",
                "customer": self["customer"],
                "payment_method": self["saved_method"],
                "amount": 1000,
                "currency": "USD",
            }
            body = {**body, "items": [item]}
        if operation == METHOD_OTP:
            url = self.url(operation).removesuffix("/otp") + "/otp-messages"
            body = {"code": self.client.get(url).json()["data"][0]["code"]}
        return body


def snapshot() -> dict:
    """Every row a request could write, with the states it could change."""
    from billing.models import Customer, Invoice, PaymentMethod, Price
    from invoicing.models import CreditNote
    from ledger.models import JournalEntry
    from payments.models import (
        Event,
        IdempotencyRecord,
        Order,
        Payment,
        PaymentAttempt,
        Refund,
    )
    from risk.models import ListEntry, Rule
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    return {
        "risk_rules": list(Rule.objects.order_by("pk").values_list("pk", "version", "mode")),
        "risk_lists": ListEntry.objects.count(),
        "prices": Price.objects.count(),
        "customers": list(
            Customer.objects.order_by("pk").values_list("pk", "email", "name", "deleted_at")
        ),
        "payment_methods": list(
            PaymentMethod.objects.order_by("pk").values_list("pk", "detached_at")
        ),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "payments": list(
            Payment.objects.order_by("pk").values_list("pk", "status", "amount_captured")
        ),
        "attempts": PaymentAttempt.objects.count(),
        "refunds": list(Refund.objects.order_by("pk").values_list("pk", "status")),
        "events": Event.objects.count(),
        "journal": JournalEntry.objects.count(),
        "endpoints": list(
            WebhookEndpoint.objects.order_by("pk").values_list(
                "pk", "url", "enabled", "description", "secret_encrypted"
            )
        ),
        "deliveries": list(
            WebhookDelivery.objects.order_by("pk").values_list("pk", "status", "attempt_count")
        ),
        "idempotency": IdempotencyRecord.objects.count(),
        "invoices": list(
            Invoice.objects.order_by("pk").values_list("pk", "status", "number", "amount_remaining")
        ),
        "credit_notes": CreditNote.objects.count(),
    }


def _send(client, method, url, body=None, **extra):
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, format="json", **extra)
