"""Hostile input, field by field of every write of the API: wrong types, sizes and values are
a 400 naming the field and write nothing; the fields the schema calls optional may be left out;
and the probes cover every documented field.
"""

import pytest

from tests.api.hostile_kit import (
    CARD,
    CUSTOMER_CREATE,
    METHOD_OTP,
    ORDER_CREATE,
    _send,
    assert_problem,
    snapshot,
)

pytestmark = pytest.mark.django_db


# --- every field of every write: wrong types, sizes and values ----------------------------------

AMOUNTS = ["1000", 10.5, 1000.0, True, None, -1, 0, 10**30, -(10**30), [], {}]
TEXT = [True, [], {}, None]
CHOICE = ["bogus", 1, None, [], True]
BOOLEAN = ["maybe", 2, None, [], {}]
INVOICE_LINES = [
    *TEXT,
    [],
    [{}],
    [{"description": "x", "unit_amount": "100"}],
    [{"description": "x", "unit_amount": -100}],
    [{"description": "", "unit_amount": 100}],
    [{"description": "x", "unit_amount": 100, "quantity": 0}],
    [{"description": "x", "unit_amount": 100, "tax_rate_bps": 10001}],
    [{"description": "x", "unit_amount": 10**30}],
    [{"description": "x", "unit_amount": 100}] * 251,
]
ENDPOINT_CREATE = ("post", "/api/v1/webhook-endpoints")
ENDPOINT_UPDATE = ("patch", "/api/v1/webhook-endpoints/{endpoint_id}")
CARD_PROBES = {
    "payment_method": [*TEXT, "card"],
    "payment_method.type": CHOICE,
    "payment_method.card": [*TEXT, "4242424242424242"],
    "payment_method.card.number": [
        *TEXT,
        "4242",
        "abcd",
        "4242424242424241",  # fails the Luhn check
        "\u0664\u0662\u0664\u0662" * 4,  # Arabic-Indic digits
        "\uff14\uff12\uff14\uff12" * 4,  # full-width digits
        "4" * 33,
    ],
    "payment_method.card.exp_month": ["12a", 13, 0, -1, True, 1.5, None, "", [], 10**30],
    "payment_method.card.exp_year": ["20x5", 10**30, -1, 10000, True, 1.5, None, ""],
    "payment_method.card.cvc": [*TEXT, "", "12", "12345", "abc", "\uff11\uff12\uff13"],
    "payment_method.card.holder_name": [True, [], {}, "x" * 201, "123", "\u202e", "<b>"],
    "payment_method.id": [*TEXT, "x" * 33, "pm_x"],  # only for type saved
}
CUSTOMER_PROBES = {
    "email": [*TEXT, "nope", "a@" + "b" * 300 + ".com"],
    "name": [*TEXT, "x" * 201],
    "metadata": [[], "x", {"k": [1]}, {"k" * 41: 1}, {f"k{i}": i for i in range(51)}],
}
RULE_POINTS = [101, -101, 10**30, "10", 1.5, 10.0, True, None, [], {}]
FIELD_PROBES = {
    ORDER_CREATE: {
        "amount": AMOUNTS,
        "currency": [*TEXT, "", "US", "USDX", "XXX", "$$$", 840],
        "reference": [*TEXT, "", "   ", "x" * 101],
        "description": [*TEXT, "x" * 501],
        "customer_email": [*TEXT, "nope", "a@" + "b" * 300 + ".com"],
        "return_url": [
            *TEXT,
            "javascript:alert(1)",
            "ftp://example.com",
            "http://[::1",
            "x" * 2001,
        ],
        "capture_method": CHOICE,
        "customer": [*TEXT, "x" * 33, "cus_" + "x" * 24],
        "setup_future_usage": CHOICE,
        "metadata": [
            [],
            "x",
            {"k": [1]},
            {"k": {"a": 1}},
            {"k": 1.5},
            {"k" * 41: 1},
            {f"k{i}": i for i in range(51)},
            {"k": "x" * 501},
        ],
        "fx_quote": [*TEXT, "x" * 33, "fxq_unknown"],
        "line_items": [
            "x",
            1,
            True,
            {},
            [1],
            [None],
            [[]],
            [{}],
            [{"name": "a", "quantity": 1, "unit_amount": 999}],  # adds up to 999, not 1000
            [{"name": "x" * 201, "quantity": 1, "unit_amount": 1000}],
            [{"name": "\u202e", "quantity": True, "unit_amount": 1000}],
            [{"name": "a", "quantity": 1.0, "unit_amount": 1000}],
            [{"name": "a", "quantity": "1", "unit_amount": 1000}],
            [{"name": "a", "quantity": 10**6, "unit_amount": 1000}],
            [{"name": "a", "quantity": 1, "unit_amount": 10**30}],
            [{"name": "a", "quantity": 1, "unit_amount": 1000, "sku": "x"}],
            [{"name": "a", "quantity": 1, "unit_amount": 10}] * 101,
        ],
    },
    CARD: CARD_PROBES,
    ("post", "/api/v1/payments/{payment_id}/capture"): {"amount": AMOUNTS},
    ("post", "/api/v1/payments/{payment_id}/otp"): {"code": [*TEXT, "1" * 13]},
    METHOD_OTP: {"code": [*TEXT, "1" * 13]},
    ("post", "/api/v1/payments/{payment_id}/refunds"): {
        "amount": AMOUNTS,
        "reason": [*TEXT, "x" * 501],
    },
    ENDPOINT_CREATE: {
        "url": [*TEXT, "", "ftp://example.com/h", "https://", "https://example.com/#f", "x" * 2001],
        "enabled_events": ["*", [], [1], [None], ["bogus.event"], {}, ["x" * 65], None],
        "description": [True, [], {}, None, "x" * 501],
        "enabled": BOOLEAN,
    },
    ("post", "/api/v1/signing-keys"): {
        "public_key": [
            *TEXT,
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "x" * 4001,
        ],
        "name": [True, [], {}, None, "x" * 101],
    },
    ENDPOINT_UPDATE: {
        "url": [*TEXT, "", "ftp://example.com/h", "x" * 2001],
        "enabled_events": ["*", [], [1], ["bogus.event"], None],
        "description": [True, [], {}, None, "x" * 501],
        "enabled": BOOLEAN,
    },
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/redeliver-failed"): {
        "since": [
            *TEXT,
            "yesterday",
            1700000000,
            "2024-13-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
        ],
    },
    ("post", "/api/v1/events/{event_id}/redeliver"): {"endpoint": [True, [], {}, "x" * 33]},
    ("post", "/api/v1/sandbox/bank-transfers"): {
        "reference": [*TEXT, "", "x" * 101],
        "amount": AMOUNTS,
    },
    ("post", "/api/v1/prices"): {
        "product_name": [*TEXT, "", "   ", "x" * 201],
        "amount": AMOUNTS,
        "currency": [*TEXT, "", "US", "XXX", 840],
        "interval": CHOICE,
        "interval_count": [0, -1, 13, 366, "1", 1.5, True, None, 10**30],
        "trial_days": [0, -1, 731, "7", 1.5, True, 10**30],
    },
    ("post", "/api/v1/payout-batches"): {
        "reference": [*TEXT, "", "x" * 101],
        "items": [*TEXT[:3], "x", [], [None], [1] * 10_001],
    },
    ("post", "/api/v1/charge-batches"): {
        "reference": [*TEXT, "", "x" * 101],
        "items": [*TEXT[:3], "x", [], [None], [1] * 10_001],
    },
    ("post", "/api/v1/fx/quotes"): {
        "from_currency": [*TEXT, "", "US", "XXX", 978],
        "to_currency": [*TEXT, "", "US", "XXX", 840],
        "amount": AMOUNTS,
        "lock": CHOICE,
    },
    CUSTOMER_CREATE: {**CUSTOMER_PROBES, "test_clock": [*TEXT, "clock_nope", "x" * 33]},
    ("patch", "/api/v1/customers/{customer_id}"): CUSTOMER_PROBES,
    ("post", "/api/v1/customers/{customer_id}/payment-methods"): {
        "type": CHOICE,
        **{
            name.removeprefix("payment_method."): values
            for name, values in CARD_PROBES.items()
            if name.startswith("payment_method.card")
        },
        "consent": [*TEXT, "yes"],
        "consent.text": [True, [], {}, None, "", "   ", "x" * 2001],
        "consent.ip": [*TEXT, "", "nope", "999.1.1.1"],
        "consent.usage": CHOICE,
    },
    ("post", "/api/v1/subscriptions"): {
        "customer": [*TEXT, "cus_nope", "x" * 33],
        "price": [*TEXT, "price_nope", "x" * 33],
        "payment_method": [*TEXT, "pm_nope", "x" * 33],
        "trial_days": [-1, 731, "7", 1.5, True, 10**30],
        "billing_cycle_anchor": [True, [], {}, "yesterday", 1700000000, "2020-01-01T00:00:00Z"],
    },
    ("post", "/api/v1/subscriptions/{subscription_id}"): {
        "price": [*TEXT, "price_nope", "x" * 33],
    },
    ("post", "/api/v1/subscriptions/{subscription_id}/cancel"): {"at_period_end": BOOLEAN},
    ("post", "/api/v1/billing-settings"): {
        "retry_schedule_days": [*TEXT, [], [0], [61], [3, 1], [1] * 9, ["1"], [1.5]],
        "final_status": CHOICE,
    },
    ("post", "/api/v1/test-clocks"): {
        "frozen_time": [*TEXT, "", "tomorrow", 1700000000, "2024-13-01T00:00:00Z"],
        "name": [True, [], {}, "x" * 201],
    },
    ("post", "/api/v1/test-clocks/{clock_id}/advance"): {
        "frozen_time": [*TEXT, "", "soon", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z"],
    },
    ("post", "/api/v1/invoices"): {
        "customer": [*TEXT, "", "cus_nope", "x" * 33],
        "currency": [*TEXT, "", "US", "XXX", 840],
        "lines": INVOICE_LINES,
        "due_days": [-1, 366, "7", 1.5, True],
        "due_date": [*TEXT, "", "tomorrow", "2001-01-01", 20990101],
        "memo": [True, [], {}, "x" * 5001],
        "footer": [True, [], {}, "x" * 5001],
        "metadata": [[], "x", {"k": [1]}, {"k" * 41: 1}],
    },
    ("patch", "/api/v1/invoices/{invoice_id}"): {
        "lines": INVOICE_LINES,
        "due_days": [-1, 366, "7", 1.5, True, None],
        "due_date": [*TEXT, "", "2001-01-01"],
        "memo": [True, [], {}, None, "x" * 5001],
        "footer": [True, [], {}, None, "x" * 5001],
        "metadata": [[], "x", {"k": [1]}],
    },
    ("post", "/api/v1/invoices/{invoice_id}/send"): {"email": [*TEXT, "", "nope"]},
    ("post", "/api/v1/risk/rules"): {
        "name": [*TEXT, "", "x" * 101],
        "expression": [*TEXT, "", "amount >", "no_such_feature > 1", "amount + 1", "x" * 4001],
        "action": CHOICE,
        "mode": CHOICE,
        "points": RULE_POINTS,
    },
    ("patch", "/api/v1/risk/rules/{rule_id}"): {
        "name": [*TEXT, "", "x" * 101],
        "expression": [*TEXT, "", "amount >", "amount + 1"],
        "action": CHOICE,
        "mode": CHOICE,
        "points": RULE_POINTS,
    },
    ("post", "/api/v1/disputes/{dispute_id}/evidence"): {
        name: [*TEXT, "x" * 20_001]
        for name in (
            "uncategorized_text",
            "customer_communication",
            "product_description",
            "shipping_tracking_number",
            "refund_policy",
            "customer_email_address",
        )
    },
    ("post", "/api/v1/invoices/{invoice_id}/credit-notes"): {
        "amount": [*AMOUNTS, 10**9],
        "lines": [[], "x", [{}], [{"description": "x", "unit_amount": 0}]],
        "reason": CHOICE,
        "memo": [True, [], {}, "x" * 501],
        "credit_to": CHOICE,
    },
}


def _set(body: dict, path: str, value) -> dict:
    """Return a deep copy of ``body`` with the field at the dotted ``path`` set to ``value``."""
    import copy

    body = copy.deepcopy(body)
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        target = target[parent]
    target[name] = value
    return body


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        pytest.param(op, field, value, id=f"{op[0]} {op[1]} {field}={value!r:.30}")
        for op, fields in FIELD_PROBES.items()
        for field, values in fields.items()
        for value in values
    ],
)
def test_a_bad_field_value_is_400_naming_the_field_and_writes_nothing(
    world, operation, field, value
):
    url = world.url(operation)
    body = _set(world.body(operation) or {}, field, value)
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    problem = assert_problem(response, 400, "validation_failed")
    named = [e["field"] for e in problem["errors"]]
    # The field, or a field inside it (payment_method={} names payment_method.type).
    assert any(f == field or f.startswith(f"{field}.") for f in named if f), named
    assert all(e["code"] and e["message"] for e in problem["errors"])
    assert problem["detail"] == problem["errors"][0]["message"]
    assert snapshot() == before


@pytest.mark.parametrize("operation", FIELD_PROBES, ids="{0[0]} {0[1]}".format)
def test_a_write_without_the_fields_the_schema_calls_optional_is_accepted(api, world, operation):
    """A client that leaves out only what the schema calls optional is not refused for it."""
    schema = api.get("/api/v1/schema?format=json").json()
    components = schema["components"]["schemas"]
    method, path = operation
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]

    def strip(body: dict, ref: dict) -> dict:
        node = components[ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref
        kept = {}
        for name, value in body.items():
            if name not in node.get("required", []) and name != "card":  # required for cards
                continue
            sub = node["properties"][name]
            sub = sub.get("allOf", [sub])[0]
            kept[name] = strip(value, sub) if isinstance(value, dict) and "$ref" in sub else value
        return kept

    body = strip(world.body(operation), content["schema"])

    response = _send(world.client, method, world.url(operation), body)

    assert response.status_code < 300, response.content


def test_the_field_probes_cover_every_field_of_every_write(api):
    """A field added to a request body without probes here fails this test."""
    schema = api.get("/api/v1/schema?format=json").json()
    components = schema["components"]["schemas"]

    def fields(ref_or_schema, prefix=""):
        node = ref_or_schema
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        out = set()
        for name, sub in node.get("properties", {}).items():
            out.add(prefix + name)
            target = sub.get("allOf", [sub])[0]
            if "$ref" in target and "properties" in components[target["$ref"].rsplit("/", 1)[1]]:
                out |= fields(target, f"{prefix}{name}.")
        return out

    for (method, path), probes in FIELD_PROBES.items():
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        documented = fields(body["schema"])
        if (method, path) == CARD:
            documented -= {"payment_method.wallet", "payment_method.wallet.phone"}
        assert documented == set(probes), (method, path)
