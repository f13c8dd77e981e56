"""Test tiers, shared fixtures and the per-tier report that scripts/test.py sums up."""

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
_SKIPPED_TIERS: set[str] = set()
_COUNTS = {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "collected": 0, "deselected": 0}
TIER_SKIP = "tier not run: "


def pytest_runtest_setup(item):
    """Skip a test whose tier's service is missing; the reason names the tier for the summary."""
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if item.get_closest_marker("postgres") and vendor != "postgresql":
        pytest.skip(f"{TIER_SKIP}postgres (DATABASE_URL is not PostgreSQL)")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.skip(f"{TIER_SKIP}redis (REDIS_URL is not set)")
    if item.get_closest_marker("browser") and not (
        Path(CHROMIUM).exists() or shutil.which("chromium")
    ):
        pytest.skip(f"{TIER_SKIP}browser (no Chromium at {CHROMIUM})")


def pytest_collection_finish(session):
    if not hasattr(session.config, "workerinput"):
        _COUNTS["collected"] = len(session.items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Every xdist process collects the same tests; the tier checks each one reported back."""
    _COUNTS["collected"] = len(ids)


def pytest_deselected(items):
    """Tests left out by ``-m``/``-k`` (a tier's marker: the others run in another part)."""
    _COUNTS["deselected"] += len(items)


def pytest_runtest_logreport(report):
    """Counted where the reports meet: in the one process, or in xdist's controller."""
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if report.outcome == "failed" and report.when != "call":
            _COUNTS["error"] += 1
        else:
            _COUNTS[report.outcome] += 1
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if reason.startswith(TIER_SKIP):
            _SKIPPED_TIERS.add(reason.removeprefix(TIER_SKIP))


def pytest_terminal_summary(terminalreporter):
    for tier in sorted(_SKIPPED_TIERS):
        terminalreporter.write_line(f"!!! SKIPPED TIER: {tier}", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("TIER_REPORT")
    if not path:
        return
    deselected = Path(f"{path}.deselected")
    if hasattr(session.config, "workerinput"):
        # Results reach the controller, deselection does not: every xdist process collects
        # and deselects the same tests, so any one of them can tell the count.
        deselected.write_text(str(_COUNTS["deselected"]))
        return
    if deselected.exists():
        _COUNTS["deselected"] = max(_COUNTS["deselected"], int(deselected.read_text() or 0))
        deselected.unlink()
    Path(path).write_text(json.dumps({**_COUNTS, "skipped_tiers": sorted(_SKIPPED_TIERS)}))


@pytest.fixture(autouse=True, scope="session")
def _velocity_keys_of_this_process():
    """Redis outlives a run while each test database restarts its ids, and xdist's processes
    each have their own database: merchant 7 of one process is not merchant 7 of another, so each
    process (and the workers it starts) counts velocity under keys of its own."""
    import uuid

    from django.conf import settings

    prefix = f"risk:v:test-{uuid.uuid4().hex[:12]}"
    os.environ["RISK_VELOCITY_KEY_PREFIX"] = settings.RISK_VELOCITY_KEY_PREFIX = prefix


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run inline in tests; real-worker tests opt out with the `celery_worker` fixture."""
    from merchant_portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def broker_down(monkeypatch):
    """Tasks are published for real, to a broker nothing listens on (an outage)."""
    from merchant_portal.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with broker_at("redis://127.0.0.1:1/0", monkeypatch):
        yield
    app.conf.task_always_eager = saved


@contextlib.contextmanager
def broker_at(url: str, monkeypatch):
    """Point this process's Celery app at another broker (Celery reads ``CELERY_BROKER_URL``
    from the environment before its configuration), with fresh connection pools."""
    from merchant_portal.celery import app

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    with monkeypatch.context() as patch:
        patch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        reset_pools()
        try:
            yield
        finally:
            app.conf.broker_url = saved
            reset_pools()
    reset_pools()


def _sandbox_reseeded_after_flush(sender, app_config, using, **kwargs):
    """A transactional test ends with a flush, which empties every table and then sends
    ``post_migrate`` (without the ``plan`` a real ``migrate`` sends): put the sandbox's published
    accounts back, committed, or every later test of the process would seed them again inside
    its own rolled-back transaction (a seventh of the suite's time once)."""
    if app_config.label != "institutions" or "plan" in kwargs:
        return
    from institutions.services import sandbox_accounts_seed

    sandbox_accounts_seed()


def pytest_configure(config):
    from django.db.models.signals import post_migrate

    post_migrate.connect(_sandbox_reseeded_after_flush, dispatch_uid="tests-sandbox-reseed")


@pytest.fixture(autouse=True)
def _sandbox_seeded(request):
    """Restore the sandbox institutions' seed rows if a test finds them gone."""
    names = set(request.fixturenames)
    if not names & {
        "db",
        "transactional_db",
        "live_server",
    } and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    from institutions.models import SandboxAccount
    from institutions.services import sandbox_accounts_seed

    if not SandboxAccount.objects.exists():
        sandbox_accounts_seed()


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENTS_OTP_THROTTLE_FACTOR = 0
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in LANGUAGE_CODE: a page answered in another language (Accept-Language)
    leaves it active in the thread, and in random order the next test would inherit it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def stored_text() -> str:
    """Return every value of every table of the database as text (bytes read as Latin-1), for
    asserting that something (card data, a secret) is stored nowhere at all."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("latin-1")
                    values.append(str(value))
    return "\n".join(values)


# --- domain fixtures shared by every app's tests ---------------------------------------------

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
OTP_CARD = "4000000000003220"
OTP_ALWAYS_CARD = "4000002760003184"
DEBIT_100 = "4000056655665556"
NO_FUNDS = "4000000000009995"
BLOCKED = "4000000000000002"
ISSUER_CVC = "4000000000000127"
ISSUER_EXPIRED = "4000000000000069"
PROCESSING_ERROR = "4000000000000119"
LOST = "4000000000009987"
STOLEN = "4000000000009979"
WALLET_OK = "+15555550100"
WALLET_EMPTY = "+15555550101"


def card(number: str = VISA, *, cvc: str | None = None, exp_year: int = 2035, exp_month: int = 12):
    from payments.services import MethodInput

    if cvc is None:
        cvc = "1234" if number.startswith(("34", "37")) else "123"
    return MethodInput(
        type="card",
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc,
        holder_name="Ada Lovelace",
    )


def wallet(phone: str = WALLET_OK):
    from payments.services import MethodInput

    return MethodInput(type="wallet", phone=phone)


def bank_transfer():
    from payments.services import MethodInput

    return MethodInput(type="bank_transfer")


@pytest.fixture
def merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory()


@pytest.fixture
def other_merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Other Merchant")


@pytest.fixture
def make_order(merchant):
    from payments.services import order_create

    counter = {"n": 0}

    def make(**kwargs):
        counter["n"] += 1
        params = {
            "merchant": merchant,
            "amount": 1000,
            "currency": "USD",
            "reference": f"order-{counter['n']}",
        }
        params.update(kwargs)
        return order_create(**params)

    return make


@pytest.fixture
def order(make_order):
    return make_order()


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """Pay an order with a method, running on-commit work (events, tasks) as a commit would."""
    from payments.services import payment_create

    def do(order, method=None):
        with django_capture_on_commit_callbacks(execute=True):
            return payment_create(order=order, method=method or card())

    return do


@pytest.fixture
def captured_payment(order, pay):
    payment = pay(order)
    assert payment.status == "captured", payment.decline_code
    return payment


@pytest.fixture
def live_institution(settings) -> str:
    """Live card payments go to a test connector that takes live payments; return its code."""
    from tests.live_institution import LIVE_TEST_ISSUER

    settings.PAYMENTS_LIVE_ROUTES = {"card": LIVE_TEST_ISSUER}
    return LIVE_TEST_ISSUER


@pytest.fixture
def sandbox_otp_code():
    """Read the newest code delivered for a payment from the sandbox outbox."""
    import re

    from payments.models import OutboxMessage

    def read(payment) -> str:
        message = OutboxMessage.objects.filter(payment=payment).order_by("-id").first()
        assert message is not None, "no OTP message was delivered"
        return re.search(r"\b(\d{6})\b", message.body).group(1)

    return read


@pytest.fixture
def assert_invariants(db):
    """Call at the end of a money test: every invariant of DESIGN section 4 holds."""
    from merchant_portal.invariants import all_violations

    def check():
        violations = all_violations()
        assert violations == [], violations

    return check


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real Celery worker process consuming the configured broker against the test database.

    Tests using it run in the PostgreSQL + Redis tier (mark them ``postgres`` and ``redis``) and
    see only committed data, hence ``transactional_db``. Tasks are sent for real, not eagerly.
    """
    from merchant_portal.celery import app

    app.conf.task_always_eager = False
    app.connection_for_write().connect()  # fail fast if the broker is unreachable
    app.control.purge()
    proc = celery_worker_start()
    try:
        yield proc
    finally:
        celery_worker_stop(proc)
        app.conf.task_always_eager = True


def celery_worker_start(*, env: dict | None = None, log: Path | None = None, ping: bool = True):
    """Start a Celery worker process (every queue, two children, its own process group) on the
    test database and the configured broker, ``env`` added to its environment; with ``ping``,
    return once it answers a ping."""
    import subprocess
    import sys
    import time

    from django.conf import settings

    from merchant_portal.celery import app

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    full_env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_ENV": "local",
        **(env or {}),
    }
    full_env.pop("TEST_DB_NAME", None)
    log = log or Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "celery-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    name = f"test-{os.getpid()}-{time.monotonic_ns()}@%h"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "merchant_portal", "worker", "-l", "info",
             "-Q", ",".join(settings.CELERY_QUEUES_ALL), "--concurrency", "2",
             "--without-mingle", "--without-gossip", "-n", name],
            env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    proc.log = log
    if not ping:
        return proc
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if app.control.inspect(timeout=0.5, destination=[name.replace("%h", _hostname())]).ping():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"Celery worker exited early; see {log}")
    celery_worker_stop(proc)
    raise RuntimeError(f"Celery worker did not start; see {log}")


def _hostname() -> str:
    import socket

    return socket.gethostname()


def celery_worker_stop(proc, *, kill: bool = False) -> None:
    """Stop a worker started by ``celery_worker_start`` and its children: warm shutdown, or
    SIGKILL to the whole process group at once with ``kill`` (a crash: nothing acknowledged)."""
    import signal
    import subprocess

    if kill:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=15)
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until ``predicate()`` is truthy (for work done by another process); return it."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def event_deliveries(event_pk: int) -> list:
    """Return every webhook delivery of an event, oldest first, creating those missing (for an
    endpoint registered after the event); the tasks of new ones run only on commit."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import deliveries_create_for_event

    deliveries_create_for_event(event_pk=event_pk)
    return list(WebhookDelivery.objects.filter(event_id=event_pk).order_by("pk"))


def registered_admins() -> list:
    """(model, its ModelAdmin) for every model the admin site shows, through public APIs."""
    from django.apps import apps
    from django.contrib import admin

    return [
        (model, admin.site.get_model_admin(model))
        for model in apps.get_models()
        if admin.site.is_registered(model)
    ]
