"""Hostile input, operation by operation of the API schema: every operation answers its valid
request, and a forged or foreign id, a malformed body, a body that is not a JSON object or not
JSON at all, or a field no write takes, is a clear 4xx problem that writes nothing.
"""

import pytest

from tests.api.hostile_kit import (
    OPERATIONS,
    ORDER_CREATE,
    WITH_PATH_ID,
    WRITES,
    _send,
    assert_problem,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_the_probes_cover_every_operation_of_the_schema(api):
    schema = api.get("/api/v1/schema?format=json").json()

    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }

    assert operations == set(OPERATIONS)


def test_request_bodies_in_the_schema_carry_no_description_of_our_base_class(api):
    schema = api.get("/api/v1/schema?format=json").json()

    descriptions = [c.get("description", "") for c in schema["components"]["schemas"].values()]

    assert not [d for d in descriptions if "misspelt" in d or "does not take" in d]


@pytest.mark.parametrize("operation", OPERATIONS, ids="{0[0]} {0[1]}".format)
def test_every_operation_answers_its_valid_request_without_an_error(world, operation):
    """The probes below start from these requests: each must work, or they prove nothing."""
    response = _send(world.client, operation[0], world.url(operation), world.body(operation))

    assert response.status_code < 300, response.content


def _cases(operations, probes, *, everywhere: int, on):
    """Every probe against ``on``, the first ``everywhere`` of them against every operation.

    The parsing and lookups are shared code: one operation gets the whole list, the others
    the probes most likely to find a view that skips them.
    """
    return [
        pytest.param(op, probe, id=f"{op[0]} {op[1]} {probe!r:.40}")
        for op in operations
        for probe in (probes if op == on else probes[:everywhere])
    ]


FORGED_IDS = [
    "other",  # another merchant's object of the same kind
    "%00",
    "x" * 3000,
    "%F0%9F%92%B3",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
    "ord_%27%20OR%201%3D1--",
    "%25",
]


@pytest.mark.parametrize(
    ("operation", "forged"),
    _cases(WITH_PATH_ID, FORGED_IDS, everywhere=3, on=("get", "/api/v1/orders/{order_id}")),
)
def test_a_forged_or_foreign_id_in_the_path_is_a_404_that_writes_nothing(
    world, other_world, operation, forged
):
    params = OPERATIONS[operation][0]
    param = next(iter(params))
    value = other_world[params[param]] if forged == "other" else forged
    url = world.url(operation, **{param: value})
    body = world.body(operation)
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    body = assert_problem(response, 404, "resource_missing")
    assert value not in body["detail"]
    assert snapshot() == before


NOT_OBJECTS = [b"[]", b"[{}]", b'"text"', b"42", b"true", b"1.5"]
MALFORMED = [
    b"{",
    b'{"amount": NaN}',
    b'{"amount": 1,}',
    b'{"amount": Infinity}',
    b'{"amount": -Infinity}',
    b"\xff\xfe",
    b'{"a": 1}{"b": 2}',
    b'{"a": "\\u0000"}',
    b'{"a": "\\udc00"}',
]


@pytest.mark.parametrize(
    ("operation", "raw"), _cases(WRITES, MALFORMED, everywhere=2, on=ORDER_CREATE)
)
def test_a_malformed_body_is_400_for_every_write_and_writes_nothing(world, operation, raw):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(operation[0].upper(), url, raw, content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("operation", "raw"), _cases(WRITES, NOT_OBJECTS, everywhere=2, on=ORDER_CREATE)
)
def test_a_body_that_is_not_a_json_object_is_400_for_every_write(world, operation, raw):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(operation[0].upper(), url, raw, content_type="application/json")

    body = assert_problem(response, 400, "validation_failed")
    assert body["errors"] and body["errors"][0]["field"] is None
    assert snapshot() == before


NOT_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data",
]


@pytest.mark.parametrize(
    ("operation", "content_type"), _cases(WRITES, NOT_JSON, everywhere=2, on=ORDER_CREATE)
)
def test_a_body_that_is_not_json_is_415_for_every_write(world, operation, content_type):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(
        operation[0].upper(), url, b'{"amount": 1000}', content_type=content_type
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert snapshot() == before


@pytest.mark.parametrize("operation", WRITES, ids="{0[0]} {0[1]}".format)
def test_a_field_no_write_takes_is_400_for_every_write(world, operation):
    url = world.url(operation)
    body = {**(world.body(operation) or {}), "no_such_field": 1}
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    assert_problem(response, 400, "validation_failed", field="no_such_field")
    assert snapshot() == before
