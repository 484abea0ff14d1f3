"""Settings for the deposit claims platform, read from the environment.

Every value has a safe development default; production sets the variables listed in
`deploy.env.example` (DEBUG off, a real secret key, allowed hosts, HTTPS switches).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-development-only-key-never-use-in-production-0123456789",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "deposit_claims.console.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "accounts.apps.LoginLockoutConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_ratelimit",
    "ninja",
    "simple_history",
    "django_fsm",
    "django_fsm_log",
    "deposit_claims",
    "accounts",
    "merchants",
    "deposits",
    "disputes",
    "outbox",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "common.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After the probes and static files, which would only drown the log.
    "common.middleware.RequestLogMiddleware",
    # The integration API's calls carry no cookie into the session and login middleware.
    "api.gateway.ApiEdgeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.middleware.ConsoleSessionMiddleware",
    "accounts.middleware.ConsoleTwoFactorMiddleware",
    # Names the console user on each history row of a policy, rule or holiday.
    "simple_history.middleware.HistoryRequestMiddleware",
    "common.middleware.RequestBodyLimitMiddleware",
    # The integration API's key, rate, idempotency and call log (api/gateway.py); after the
    # language is chosen and the body's size checked.
    "api.gateway.ApiGatewayMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The benchmark harness serves its baseline views beside the app's (deposit_claims.bench_urls).
ROOT_URLCONF = env("DJANGO_ROOT_URLCONF", default="deposit_claims.urls")
WSGI_APPLICATION = "deposit_claims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles_context",
                "merchants.context_processors.store",
                "disputes.context_processors.notifications",
            ],
        },
    },
]

# Django's widget templates, the plainest of them built in Python (common/form_renderer.py).
FORM_RENDERER = "common.form_renderer.FormRenderer"

# SQLite on a fresh machine; PostgreSQL (or anything else) when DATABASE_URL says so.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# One connection per worker, kept between requests and checked before reuse: opening a
# PostgreSQL connection costs more than most pages' queries together.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when the deadline loop and the web
    # server write at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DJANGO_DB_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, so psycopg prepares each statement a connection runs
    # a few times and PostgreSQL stops planning it again: planning was most of the cost of
    # a read by key here (docs/benchmarks.md). Needs a session-level pool, never a
    # transaction-level one (PgBouncer before 1.21 in transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache every process shares when REDIS_URL is set; each process's own memory otherwise.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "common.redis_cache.SharedClientRedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from the shared cache and written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A process's own cache would keep serving a session another process ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Party pages cached whole per reader (common.pagecache); only with a cache every process
# shares, where a change made by any process reaches every reader.
PAGE_CACHE = bool(REDIS_URL) and env("DJANGO_PAGE_CACHE", default="on") != "off"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out account before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.IdentifierBackend",
]
# Login lockout per account (accounts.lockout): counted in the database every server
# shares, listed in the console, lifted there by a senior reviewer or a superuser.
AXES_FAILURE_LIMIT = 5
# Per account only: an address locked after a few failures would lock out every consumer
# behind a mobile carrier's shared address (carrier-grade NAT).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = [
    "axes.W006",
    # Django's own Redis cache increments atomically (INCR); django-ratelimit lists only
    # third-party Redis backends as supported.
    "django_ratelimit.W001",
]
if not REDIS_URL:
    # The embedded default is one process, whose own memory is the only cache it needs.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["deposit_claims.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Evidence on S3-compatible object storage when a bucket is named. The objects stay private
# (never a public bucket or ACL): every download goes through the access-checked views, and
# a signed URL, should one ever be made, expires within minutes.
S3_BUCKET = env("DJANGO_S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("DJANGO_S3_ENDPOINT_URL", default=None),
            "region_name": env("DJANGO_S3_REGION", default=None),
            # Unset: boto's own chain (AWS_* variables, instance or task role).
            "access_key": env("DJANGO_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("DJANGO_S3_SECRET_ACCESS_KEY", default=None),
            "location": env("DJANGO_S3_PREFIX", default=""),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            # Signed URLs in Signature V4 too: boto still presigns with the deprecated V2,
            # which AWS regions opened since 2014 refuse.
            "signature_version": "s3v4",
            "file_overwrite": False,
            # A download spools to a temporary file past 1 MiB rather than holding the
            # whole object in a worker's memory.
            "max_memory_size": 1024 * 1024,
        },
    }
WHITENOISE_USE_FINDERS = True

# A request's body: at most this much in all, refused before it is read (each evidence
# file is also at most 10 MB); the proxy in front must allow as much and no more
# (nginx: client_max_body_size 50m). Form fields besides files: Django's 2.5 MB.
# Calls one client of the integration API may make (django-ratelimit's rate syntax).
API_RATE_PER_CLIENT = env("DJANGO_API_RATE_PER_CLIENT", default="600/m")
MAX_REQUEST_BODY_BYTES = env.int("DJANGO_MAX_REQUEST_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
# The mail server as one URL, e.g. smtp+tls://user:password@smtp.example.com:587; it
# chooses the SMTP backend and sets host, port, login and TLS together.
if env("DJANGO_EMAIL_URL", default=""):
    vars().update(env.email_url("DJANGO_EMAIL_URL"))
# Links in e-mails and text messages point here.
SITE_URL = env("DJANGO_SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="保证金理赔 <noreply@localhost>")
# Text messages to mobile-number accounts; production points this at its SMS gateway.
SMS_BACKEND = env("DJANGO_SMS_BACKEND", default="outbox.sms.ConsoleBackend")

# HTTPS hardening: one switch for production behind TLS, each part still overridable.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=HTTPS)
BEHIND_TLS_PROXY = env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Platform staff (the console) are logged out after 30 minutes idle and 8 hours in all;
# consumers and merchants keep Django's two weeks.
STAFF_SESSION_IDLE_SECONDS = 30 * 60
STAFF_SESSION_SECONDS = 8 * 60 * 60
# Where stores pay in their deposit: told with every top-up notice and on the deposit page.
DEPOSIT_PAYEE_BANK = env("DJANGO_DEPOSIT_PAYEE_BANK", default="")
DEPOSIT_PAYEE_NAME = env("DJANGO_DEPOSIT_PAYEE_NAME", default="")
DEPOSIT_PAYEE_ACCOUNT = env("DJANGO_DEPOSIT_PAYEE_ACCOUNT", default="")
# Where consumers are paid: account numbers are encrypted with these Fernet keys, never
# with SECRET_KEY (common/encryption.py). Comma-separated; the first encrypts, all decrypt.
# Unset, a fixed development key, which `check --deploy` refuses.
DEVELOPMENT_PAYOUT_ACCOUNT_KEY = "ZGV2ZWxvcG1lbnQtb25seS1wYXlvdXQta2V5LTAwMDE="
PAYOUT_ACCOUNT_KEYS = env.list(
    "DJANGO_PAYOUT_ACCOUNT_KEYS", default=[DEVELOPMENT_PAYOUT_ACCOUNT_KEY]
)
# Webhook secrets (webhooks/encryption.py): the platform signs with them, so they are kept
# encrypted rather than hashed, with keys of their own. Same format and default rule.
DEVELOPMENT_WEBHOOK_SECRET_KEY = "ZGV2ZWxvcG1lbnQtb25seS13ZWJob29rLWtleS0wMDA="  # noqa: S105 (refused by check --deploy)
WEBHOOK_SECRET_KEYS = env.list(
    "DJANGO_WEBHOOK_SECRET_KEYS", default=[DEVELOPMENT_WEBHOOK_SECRET_KEY]
)

# A second factor for every console user (accounts.two_factor): a TOTP authenticator app,
# enrolled at the first console login, and single-use recovery codes.
OTP_TOTP_ISSUER = "保证金理赔 Deposit Claims"
RECOVERY_CODE_COUNT = 10

# Only this site's own scripts, styles, images and fonts, on every page and the console:
# no inline script or style, no framing, forms posted only here. DJANGO_CSP_REPORT_ONLY
# reports violations to the browser's console without blocking, to try a change safely.
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env.bool("DJANGO_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Powerful browser features no page here uses, switched off for every page.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Transition history as django-fsm-log writes it, which batches can gather and write at once.
DJANGO_FSM_LOG_STORAGE_METHOD = "common.fsmlog.CollectingBackend"

# Celery runs tasks in-process when no broker is configured, so a fresh machine needs
# no Redis; production sets CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0).
BROKER_CONFIGURED = bool(env("CELERY_BROKER_URL", default=""))
# Without a broker, an in-memory transport: Celery still opens a producer for an eager
# task, and its default would be an AMQP server on localhost.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_ALWAYS_EAGER = not BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "process-deadlines": {
        "task": "disputes.tasks.process_deadlines",
        "schedule": env.float("DEADLINE_SWEEP_SECONDS", default=60.0),
    },
    "deliver-outbox": {
        "task": "outbox.tasks.deliver_outbox",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=60.0),
    },
    "deliver-webhooks": {
        "task": "webhooks.tasks.deliver_webhooks",
        "schedule": env.float("WEBHOOK_SWEEP_SECONDS", default=60.0),
    },
    "housekeeping": {
        "task": "deposit_claims.tasks.housekeeping",
        "schedule": crontab(hour=3, minute=30),
    },
}
# A task is acknowledged when it has run, not when it starts: a worker killed mid-task
# leaves it to another (every task here is safe to run twice).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker logs through LOGGING below (JSON lines in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How many tasks one beat tick splits a storm of due deadlines into (one per worker
# process is right); they claim rows with SKIP LOCKED, so none moves a complaint twice.
DEADLINE_SWEEP_SHARDS = env.int("DEADLINE_SWEEP_SHARDS", default=2)
# The first retry of a message that failed to send; each next one waits twice as long.
OUTBOX_RETRY_SECONDS = env.int("OUTBOX_RETRY_SECONDS", default=30)
# The first retry of a webhook delivery that failed; each next one waits twice as long, at
# most an hour, for a day (webhooks/services.py).
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=30)
# How long one delivery may take before it counts as failed.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Plain-http webhook URLs to this machine (localhost, 127.0.0.1), for development only.
WEBHOOKS_ALLOW_LOCAL_HTTP = DEBUG

# One JSON object a line in production (for the log pipeline), text in development.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "common.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # A line for every task run in-process (no broker) says nothing a person needs; a
        # worker's lines (received, retried, succeeded) are its history.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # The request log replaces runserver's and gunicorn's own access lines.
        "django.server": {"level": "WARNING"},
    },
}
