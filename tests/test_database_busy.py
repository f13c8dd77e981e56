"""A database too busy to answer (timeout, held lock) is a 503 with Retry-After, not a 500."""

import sqlite3

from django.db import OperationalError
from django.test import RequestFactory


def _locked() -> OperationalError:
    try:
        raise OperationalError("database is locked") from sqlite3.OperationalError("locked")
    except OperationalError as err:
        return err


def test_a_page_whose_database_is_locked_is_a_503_asking_to_retry():
    from merchant_portal.middleware import DatabaseBusyMiddleware

    middleware = DatabaseBusyMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/checkout/x/pay"), _locked())
    response.render()

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "Nothing was done and nothing was charged" in response.content.decode()


def test_other_database_errors_are_left_to_the_error_page():
    from merchant_portal.middleware import DatabaseBusyMiddleware

    middleware = DatabaseBusyMiddleware(lambda request: None)

    assert middleware.process_exception(RequestFactory().get("/"), OperationalError("x")) is None
