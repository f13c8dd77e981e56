import pytest


@pytest.fixture(autouse=True)
def _invariants_hold_after_each_money_test(request):
    """Every payments test ends with the money invariants holding (DESIGN section 4)."""
    names = set(request.fixturenames)
    if not names & {"db", "transactional_db"} and not request.node.get_closest_marker("django_db"):
        yield
        return
    # Set the database up first so this check runs before its teardown rolls everything back.
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        return
    from merchant_portal.invariants import all_violations

    violations = all_violations()
    assert violations == [], violations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def institution_asks(monkeypatch, operation: str, record):
    """Record each ``operation`` (``capture``, ``void``...) the payment core asks an institution
    for, as ``record(**its arguments)``; the returned list's ``.refusal`` set to a message
    (possibly empty) makes the institution refuse them with it."""
    from institutions.connector import OperationResult
    from payments.services import captures

    real = captures.connector_for

    class Asked(list):
        refusal: str | None = None

    asked = Asked()

    class Recording:
        def __init__(self, code):
            self.real = real(code)

        def __getattr__(self, name):
            if name != operation:
                return getattr(self.real, name)

            def ask(**kwargs):
                asked.append(record(**kwargs))
                if asked.refusal is not None:
                    return OperationResult(
                        succeeded=False, failure_code="hold_not_active", message=asked.refusal
                    )
                return getattr(self.real, name)(**kwargs)

            return ask

    monkeypatch.setattr(captures, "connector_for", Recording)
    return asked
