"""Settings for the merchant payment platform.

The environment is read here and only here (through ``merchant_portal.environment``). Unset variables fall back to embedded defaults
(SQLite, an embedded SQLite Celery broker, local-memory cache, keys generated under ``var/``) with a
warning; ``DJANGO_ENV=production`` refuses to start without them.
"""

import base64
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from merchant_portal.environment import Environment, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = os.environ.get("DJANGO_ENV", "local")
PRODUCTION = DJANGO_ENV == "production"
TESTING = "pytest" in sys.modules or os.environ.get("DJANGO_ENV") == "test"


_ENV = Environment(production=PRODUCTION, var_dir=VAR_DIR)
_env = _ENV.get
_required_in_production = _ENV.required_in_production
_generated_once = _ENV.generated_once

SECRET_KEY = _required_in_production(
    "SECRET_KEY", lambda: _generated_once("secret_key", lambda: secrets.token_urlsafe(50))
)
DEBUG = _env("DEBUG", "false" if PRODUCTION else "true").lower() in ("1", "true", "yes")
ALLOWED_HOSTS = _env("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
ALLOWED_HOSTS = [h.strip() for h in ALLOWED_HOSTS.split(",") if h.strip()]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production")

# "kid:base64key,kid:base64key": the first key encrypts, every key decrypts (rotation).
FIELD_ENCRYPTION_KEYS = _required_in_production(
    "FIELD_ENCRYPTION_KEYS",
    lambda: _generated_once(
        "field_encryption_keys",
        lambda: "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    ),
)

INSTALLED_APPS = [
    "merchant_portal.apps.MerchantPortalConfig",
    "merchant_portal.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "backoffice",
    "institutions",
    "ledger",
    "fx",
    "payments",
    "webhooks",
    "settlement",
    "billing",
    "payouts",
    "invoicing",
    "risk",
    "developers",
    "demo",
]
MIDDLEWARE = [
    # First: the request id is on every log line, the metrics time the whole answer.
    "merchant_portal.middleware.RequestContextMiddleware",
    # Every merchant API request, one row after its answer (the request id is set by now).
    "developers.middleware.RequestLogMiddleware",
    "risk.middleware.ShopperContextMiddleware",  # the shopper's IP and country, for screening
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's order for LocaleMiddleware).
    "merchant_portal.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "merchant_portal.middleware.SignedInSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "merchant_portal.middleware.DatabaseBusyMiddleware",  # innermost: sees the views' errors
]

ROOT_URLCONF = "merchant_portal.urls"
WSGI_APPLICATION = "merchant_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
            "libraries": {"checkout": "payments.checkout.templatetags"},
        },
    },
]

# --- database -------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # Concurrent requests against `make run` queue on the write lock instead of failing.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = _required_in_production(
    "DATABASE_URL", lambda: "sqlite:///" + str(VAR_DIR / "db.sqlite3")
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0 if TESTING else 60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    if _env("DATABASE_PREPARED_STATEMENTS", "true").lower() in ("1", "true", "yes"):
        # Bind parameters on the server and prepare a statement run five times on a connection:
        # PostgreSQL then skips planning it again (about 9% more payments/s in `make bench`).
        # Turn off behind a pooler in transaction mode that cannot keep prepared statements.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
# PostgreSQL gives up on a statement or a lock wait (answered 503, Retry-After) instead of holding
# a web worker until gunicorn kills it. Milliseconds, (statement, lock) per kind of process: web
# processes short, Celery workers long (settlement runs, sweeps), commands unlimited. Applied by
# ``merchant_portal.database.timeouts_apply`` from wsgi.py and the workers' start.
DATABASE_TIMEOUTS = {
    "web": (
        int(_env("DATABASE_STATEMENT_TIMEOUT_MS", "10000")),
        int(_env("DATABASE_LOCK_TIMEOUT_MS", "3000")),
    ),
    "worker": (
        int(_env("WORKER_DATABASE_STATEMENT_TIMEOUT_MS", "600000")),
        int(_env("WORKER_DATABASE_LOCK_TIMEOUT_MS", "30000")),
    ),
}
# Parallel developers and CI jobs can keep their PostgreSQL test databases apart.
if _env("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": _env("TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (rate limits, idempotency locks) --------------------------------------------------
REDIS_URL = _required_in_production("REDIS_URL", lambda: "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A hung or unreachable Redis costs a request half a second, not a web worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Risk velocity counters' Redis keys start with this: environments sharing one Redis keep apart.
RISK_VELOCITY_KEY_PREFIX = _env("RISK_VELOCITY_KEY_PREFIX", "risk:v")

# --- Celery ----------------------------------------------------------------------------------
# The embedded broker: kombu's SQLAlchemy transport on a SQLite file. A message is a row written
# and claimed in one transaction each, so none is half-written or half-read, and a full disk fails
# the send instead of stranding files (the filesystem transport did both).
BROKER_DB = VAR_DIR / "broker.sqlite3"
CELERY_BROKER_URL = _required_in_production(
    "CELERY_BROKER_URL", lambda: f"sqla+sqlite:///{BROKER_DB}"
)
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("sqla+sqlite"):
    # Web, worker and beat write the same file: wait for its lock rather than fail at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 20}}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The database is the queue of record (docs/architecture.md): every task's work is a row a sweep
# finds again, so a message is a wake-up call and losing one costs minutes, never work.
# acks_late: a message is acknowledged after its task ran, so a worker stopped mid-task (deploy,
# crash) hands it back and the work resumes at once instead of at the next sweep; every task is
# safe to run twice. But a child killed by a signal or the OOM killer is acknowledged (not
# rejected): a message that kills its worker must not come back forever; the sweep retries it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Redis hands an unacknowledged message to another worker after visibility_timeout. It must exceed
# the longest task (a settlement run, bounded by the workers' 10-minute statement timeout) and the
# longest countdown we send (webhook retries: 15 minutes, longer waits are left to the sweep), or a
# running or waiting task would be delivered twice. Recovery does not need it short: the sweeps
# find lost work within minutes. A hung Redis costs a send 1 s (3 with its one retry).
BROKER_VISIBILITY_TIMEOUT = 3600
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_max": 0.2}
# A queue per kind of work, each consumed by its own workers (README, scripts/run.py): requests to
# merchants' receivers, however slow, never hold up refunds or settlement; "celery" takes the rest
# (expiries, reconciliation, sweeps).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "payments.tasks.webhook_deliver_task": {"queue": "webhooks"},
    "payments.tasks.events_dispatch_task": {"queue": "webhooks"},
    "payments.tasks.event_dispatch_task": {"queue": "webhooks"},
    "webhooks.tasks.deliveries_send_task": {"queue": "webhooks"},
    "payments.tasks.refund_process_task": {"queue": "payments"},
    "settlement.tasks.*": {"queue": "settlement"},
}
#: Every queue, for a worker that consumes them all (the tests' real worker).
CELERY_QUEUES_ALL = ("celery", "webhooks", "payments", "settlement")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker keeps its database connection across tasks (closed every 100 tasks and on error)
# instead of reconnecting for each one: +50% webhook deliveries/s measured by `make bench`.
CELERY_DB_REUSE_MAX = int(_env("CELERY_DB_REUSE_MAX", "100"))
CELERY_TASK_ALWAYS_EAGER = _env("CELERY_TASK_ALWAYS_EAGER", "false").lower() == "true"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-stale-orders": {"task": "payments.tasks.orders_expire_task", "schedule": 300.0},
    "expire-stale-authorizations": {
        "task": "payments.tasks.authorizations_expire_task",
        "schedule": 900.0,
    },
    "expire-bank-transfers": {
        "task": "payments.tasks.bank_transfers_expire_task",
        "schedule": 900.0,
    },
    "reconcile-unknown-attempts": {
        "task": "payments.tasks.attempts_reconcile_task",
        "schedule": 60.0,
    },
    # Re-sends refunds still pending after their task was lost or is between retries.
    "refunds-sweep": {"task": "payments.tasks.refunds_sweep_task", "schedule": 300.0},
    # Re-sends webhook deliveries whose task was lost (a worker died, a broker restarted).
    "webhooks-sweep": {"task": "payments.tasks.webhooks_sweep_task", "schedule": 60.0},
    # Closes the batches of the latest cut-off passed; a re-run of the same cut-off is a no-op.
    "settlement-run": {"task": "settlement.tasks.settlement_run_task", "schedule": 900.0},
    # Renewals, trial ends, retries and expiries due, found in the database (billing.services).
    "billing-sweep": {"task": "billing.tasks.billing_sweep_task", "schedule": 60.0},
    "settlement-payouts": {"task": "settlement.tasks.payouts_pay_due_task", "schedule": 900.0},
    "risk-velocity-purge": {"task": "risk.tasks.velocity_purge_task", "schedule": 3600.0},
    "risk-disputes-open": {"task": "risk.tasks.disputes_open_due_task", "schedule": 60.0},
    "settlement-reconcile": {
        "task": "settlement.tasks.reconciliation_run_task",
        "schedule": 6 * 3600.0,
    },
    "charge-items-sweep": {"task": "payouts.tasks.charge_items_sweep_task", "schedule": 60.0},
    "invoice-reminders": {"task": "invoicing.tasks.reminders_sweep_task", "schedule": 3600.0},
    "request-logs-prune": {
        "task": "developers.tasks.request_logs_prune_task",
        "schedule": 3600.0,
    },
    "seen-signatures-prune": {
        "task": "developers.tasks.seen_signatures_prune_task",
        "schedule": 3600.0,
    },
}
# Days a merchant's API requests are kept in the request log (developers app).
DEVELOPERS_REQUEST_LOG_RETENTION_DAYS = int(_env("REQUEST_LOG_RETENTION_DAYS", "30"))

# --- auth, sessions, admin ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = 15 * 60  # idle staff sessions end after 15 minutes
# Saved on every request of a signed-in user only (merchant_portal.middleware), not of a shopper.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# A shopper whose cookie is gone gets a checkout page with the way back, not Django's bare 403.
CSRF_FAILURE_VIEW = "payments.checkout.views.csrf_failure"
LOGIN_URL = "admin:login"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Proxies in front of the app that append to X-Forwarded-For (the TLS proxy production implies):
# lockouts and the audit log key on the address the outermost one saw, not on the proxy's.
BACKOFFICE_TRUSTED_PROXY_COUNT = int(_env("TRUSTED_PROXY_COUNT", "1" if PRODUCTION else "0"))
AXES_CLIENT_IP_CALLABLE = "backoffice.client_ip.client_ip"
AXES_ENABLED = _env("AXES_ENABLED", "true").lower() == "true"
OTP_TOTP_ISSUER = "Merchant Payments"
# A device's secret is shown once, to its owner at set-up; never again, not even to superusers.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
STAFF_SETUP_LINK_TTL_HOURS = 72  # a staff user's first authenticator is set up from such a link

# --- security headers ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# Scraped over the internal network by Prometheus, which does not follow the redirect.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
if PRODUCTION:
    SECURE_SSL_REDIRECT = _env("SECURE_SSL_REDIRECT", "true").lower() == "true"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The languages a visitor's Accept-Language may pick (each has Babel/CLDR data): amounts on the
# checkout and in the back office follow it; UI strings stay English where no translation exists.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("ja", "日本語"),
]
# The hosted checkout's translations (de, fr, es): the .po sources and the compiled .mo files
# are both committed, so no gettext tools are needed to run or test.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production a static file is looked up when asked for (as runserver does), not indexed
# when a WSGI handler starts: every test client starts one, and indexing every app's static files
# each time cost about a tenth of the test suite's CPU.
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "payments.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Merchant Payments API",
    "DESCRIPTION": (
        "Orders, payments, captures, refunds, events, webhooks, customers with saved payment "
        "methods, and prices."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Three choice sets of fields named "type": each its own named component.
    "ENUM_NAME_OVERRIDES": {
        "TypeEnum": "payments.models.Payment.Method",
        "PaymentMethodInputTypeEnum": ["card", "wallet", "bank_transfer", "saved"],
        "SavedPaymentMethodTypeEnum": "billing.models.PaymentMethod.Type",
        # The use a saved card is consented for: the same two values on orders and methods.
        "UsageEnum": "billing.models.PaymentMethod.Usage",
        "DisputeReasonEnum": "risk.models.Dispute.Reason",
        "CreditNoteReasonEnum": "invoicing.models.CreditNote.Reason",
    },
}

# --- the product's own settings (read at call time through django.conf.settings) ------------
# `make run` serves on HOST:PORT (127.0.0.1:8000 unless set); the links the platform prints or
# sends (checkout_url, staff set-up links, the start banner) use that origin unless SITE_URL
# names another. The loopback address and a wildcard bind are named localhost: WebAuthn
# (passkeys) takes the host as relying-party id and refuses an IP address.
_HOST = os.environ.get("HOST", "127.0.0.1")
_HOST = "localhost" if _HOST in ("", "0.0.0.0", "::", "127.0.0.1", "::1") else _HOST
_HOST = f"[{_HOST}]" if ":" in _HOST else _HOST
SITE_URL = _env("SITE_URL", f"http://{_HOST}:{os.environ.get('PORT', '8000')}")
PAYMENTS_SANDBOX = _env("PAYMENTS_SANDBOX", "true").lower() == "true"
# Live payments go only to these institutions (method, or "card:<brand>" -> institution code),
# and only to connectors that move real money: none is configured, so live payments are refused.
PAYMENTS_LIVE_ROUTES: dict[str, str] = {}
PAYMENTS_ORDER_TTL = timedelta(hours=24)
PAYMENTS_AUTHORIZATION_TTL = timedelta(days=7)
PAYMENTS_BANK_TRANSFER_TTL = timedelta(days=3)
PAYMENTS_OTP_TTL = timedelta(minutes=5)
PAYMENTS_OTP_MAX_ATTEMPTS = 3
PAYMENTS_OTP_MAX_RESENDS = 3
# Across payments (payments/services/otp_limits.py): wrong codes per order and per card or wallet,
# and codes sent per phone, each within its window; past a cap: ``authentication_locked``.
PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 5
PAYMENTS_OTP_MAX_FAILURES_PER_CARD = 10
PAYMENTS_OTP_FAILURE_WINDOW = timedelta(hours=1)
PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION = 10
PAYMENTS_OTP_SEND_WINDOW = timedelta(hours=1)
PAYMENTS_OTP_RESEND_COOLDOWN = 30  # seconds
PAYMENTS_OTP_THROTTLE_FACTOR = 1  # django-otp back-off between wrong codes: 1 s, 2 s, ...
PAYMENTS_UNKNOWN_OUTCOME_RECONCILE_AFTER = timedelta(seconds=30)
PAYMENTS_DEFAULT_FEE_BPS = 290
# The fixed fee per payment is per currency: payments.money.CURRENCIES, or a merchant's own.
PAYMENTS_IDEMPOTENCY_TTL = timedelta(hours=24)
# Time of day (UTC, "HH:MM") that closes each settlement day.
SETTLEMENT_CUTOFF_TIME = _env("SETTLEMENT_CUTOFF_TIME", "00:00")
PAYOUTS_DEBTOR_NAME = _env("PAYOUTS_DEBTOR_NAME", "Merchant Payments Sandbox")  # pain.001
PAYOUTS_DEBTOR_IBAN = _env("PAYOUTS_DEBTOR_IBAN", "DE89370400440532013000")  # files pay from
PAYMENTS_IDEMPOTENCY_LOCK_TIMEOUT = (
    120  # seconds before an unfinished idempotent request is abandoned
)
PAYMENTS_API_THROTTLE_RATE = _env("PAYMENTS_API_THROTTLE_RATE", "100/s")  # per API key
# http:// and loopback/private webhook receivers: allowed only for local runs and tests.
WEBHOOKS_ALLOW_PRIVATE_URLS = (
    _env("WEBHOOKS_ALLOW_PRIVATE_URLS", "false" if PRODUCTION else "true").lower() == "true"
)
# The only ports webhooks reach unless WEBHOOKS_ALLOW_PRIVATE_URLS (docs/webhooks.md).
WEBHOOKS_PORTS = (443, 8443)
WEBHOOKS_TIMEOUT = 10.0  # seconds per webhook request (connect, read, write)
# A receiver that does not even accept the connection fails fast: its batch frees the worker.
WEBHOOKS_CONNECT_TIMEOUT = 3.0
# Failed attempts in a row after which an endpoint's deliveries are held (no request) this long.
WEBHOOKS_CIRCUIT_FAILURES = 5
WEBHOOKS_CIRCUIT_COOLOFF = timedelta(minutes=1)
WEBHOOKS_DISABLE_AFTER = timedelta(days=5)  # an endpoint failing every delivery this long
WEBHOOKS_SECRET_ROTATION_OVERLAP = timedelta(hours=24)  # the old secret still signs meanwhile
DEMO_MODE = _env("DEMO_MODE", "false" if PRODUCTION else "true").lower() == "true"
# E-mail to customers (billing, invoicing): EMAIL_URL, e.g. submission://user:password@host:587 (SMTP
# with STARTTLS; ?_default_from_email=... sets the sender); locally printed ("console:").
vars().update(dj_email_url.parse(_required_in_production("EMAIL_URL", lambda: "console:")))

# --- logging: ids and codes only, never card data or secrets ---------------------------------
# Error pages (DEBUG) and error e-mails list every frame's variables: card data hidden in all.
DEFAULT_EXCEPTION_REPORTER_FILTER = (
    "merchant_portal.error_reports.CardDataSafeExceptionReporterFilter"
)
# "json": one JSON object per line (log collectors); "text": one readable line (a terminal).
LOG_FORMAT = _env("LOG_FORMAT", "json" if PRODUCTION else "text").lower()
LOGGING = logging_config(log_format=LOG_FORMAT, level=_env("LOG_LEVEL", "INFO"))

# --- metrics and traces (README "Operations") ---------------------------------------------
# /metrics wants "Authorization: Bearer <METRICS_TOKEN>"; unset, it is open to local runs and
# not served in production.
METRICS_TOKEN = _env("METRICS_TOKEN")
# Set (to the same directory) for every gunicorn and Celery process of a host: they write their
# metrics there and /metrics adds them up. prometheus-client reads it at import, before this.
PROMETHEUS_MULTIPROC_DIR = _env("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# Seconds a scrape reuses the ledger's imbalance (aggregates over every posting) and the queue
# depths (a broker round trip) it computed, per web process.
METRICS_LEDGER_INTERVAL = float(_env("METRICS_LEDGER_INTERVAL", "60"))
METRICS_QUEUE_INTERVAL = float(_env("METRICS_QUEUE_INTERVAL", "15"))
# Traces are exported (OTLP over HTTP) only when an endpoint is set; the exporter reads the other
# OTEL_* variables (headers, protocol, sampler) itself. Unset, nothing of OpenTelemetry is loaded.
OTEL_EXPORTER_OTLP_ENDPOINT = _env("OTEL_EXPORTER_OTLP_ENDPOINT")
OTEL_SERVICE_NAME = _env("OTEL_SERVICE_NAME", "merchant-payments")

if not TESTING:
    _ENV.warn_embedded_defaults()
