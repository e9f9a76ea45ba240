"""Keel settings: every value comes from the environment, with safe development defaults.

With no environment at all this gives a working development server (DEBUG on, SQLite,
local-memory cache, local media folder, console email). With ``DEBUG=false`` it refuses
to start unless the secrets and hosts are set (see ``config/settings/env.py``). A
``.env`` file is read by the process entry points (``manage.py``, ``config/wsgi.py``,
``config/asgi.py``), never here, so the test suite never sees a developer's ``.env``.
"""

from datetime import timedelta
from pathlib import Path
from typing import Literal, cast

from corsheaders.defaults import default_headers

from config.settings.env import (
    build_cache,
    build_channel_layer,
    build_database,
    build_file_storage,
    env,
    instrument_for_metrics,
    one_of,
    require_distinct_secrets,
    require_production_secret,
    require_production_value,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env.bool("DEBUG", default=True)

# Development-only values; production refuses to start with them (config/settings/env.py).
DEV_SECRET_KEY = "django-insecure-keel-development-only-secret-key-change-me"  # noqa: S105
DEV_JWT_SIGNING_KEY = "django-insecure-keel-development-only-jwt-key-change-me"

# An empty value (as in a copied .env.example) counts as unset.
SECRET_KEY = env.str("SECRET_KEY", default="") or DEV_SECRET_KEY
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or DEV_JWT_SIGNING_KEY
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

if not DEBUG:
    require_production_secret("SECRET_KEY", SECRET_KEY, dev_default=DEV_SECRET_KEY)
    require_production_secret("JWT_SIGNING_KEY", JWT_SIGNING_KEY, dev_default=DEV_JWT_SIGNING_KEY)
    require_distinct_secrets(SECRET_KEY, JWT_SIGNING_KEY)
    require_production_value("ALLOWED_HOSTS", ALLOWED_HOSTS)

INSTALLED_APPS = [
    # First: its runserver (HTTP and WebSockets, through config.asgi) replaces Django's.
    "realtime",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_tasks_db: its db_worker command is replaced by config's.
    "config",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "resources",
    "items",
    "storage",
    "graphql_api",
    # startresource: new apps go above this line
]

MIDDLEWARE = [
    "config.ops.request_id.RequestIdMiddleware",
    "config.ops.access_log.AccessLogMiddleware",
    # Outside everything that can answer with an HTML error page (a bad Host header is
    # refused in SecurityMiddleware already), so /api/ always gets problem documents.
    "config.api.error_pages.ApiProblemMiddleware",
    "config.ops.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

# The timeout chain (README "When things fail"): every upstream gives up well before
# gunicorn kills the worker (GUNICORN_TIMEOUT, 30 s).
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=10_000)
# "pgbouncer" when DATABASE_URL points at PgBouncer in transaction mode.
DB_POOLER = env.str("DB_POOLER", default="")

_DATABASE_OPTIONS = {
    "conn_max_age": env.int("DB_CONN_MAX_AGE", default=60),
    "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=5),
    "statement_timeout_ms": DB_STATEMENT_TIMEOUT_MS,
    "pooler": DB_POOLER,
}
# A reused connection idle longer than this is checked with a round trip (SELECT 1)
# before a request uses it; one used more recently only by a look at its socket
# (config/db/connection_checks.py). 0 checks before every request, as Django does.
DB_HEALTH_CHECK_IDLE_SECONDS = env.float("DB_HEALTH_CHECK_IDLE_SECONDS", default=5.0)
DATABASES = {
    "default": build_database(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        **_DATABASE_OPTIONS,
    )
}
# Read replicas (config/ops/replicas.py): zero or more URLs, aliases replica1, replica2...
DB_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
# After a user's write, that user reads from the primary this long (read-your-writes).
DB_REPLICA_STICKY_SECONDS = env.int("DB_REPLICA_STICKY_SECONDS", default=5)
# A replica further behind than this is skipped.
DB_REPLICA_MAX_LAG_SECONDS = env.float("DB_REPLICA_MAX_LAG_SECONDS", default=30.0)
for _number, _url in enumerate(DB_REPLICA_URLS, start=1):
    DATABASES[f"replica{_number}"] = {
        **build_database(_url, **_DATABASE_OPTIONS),
        # Tests use the test database itself for it (replication has nothing to copy).
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = []
if DB_REPLICA_URLS:
    DATABASE_ROUTERS = ["config.ops.replicas.ReplicaRouter"]
    # Before the views, after the session's user is known (both read the primary).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "config.ops.replicas.ReplicaRequestMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------

CACHES = {
    "default": build_cache(
        env.str("REDIS_URL", default="") or env.str("CACHE_URL", default=""),
        # A hung Redis costs a quarter second, then the circuit breaker skips it.
        socket_timeout=env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
        key_prefix=env.str("CACHE_KEY_PREFIX", default="keel"),
    )
}

# --- Live updates (realtime/: WebSockets at /ws/v1/events/) ----------------------------

# The channel layer every web and realtime instance shares: Redis pub/sub (an event is
# one PUBLISH). Empty: an in-process layer, which only reaches sockets held by the same
# process (runserver in development).
REALTIME_REDIS_URL = env.str("REALTIME_REDIS_URL", default="") or env.str("REDIS_URL", default="")
# Pub/sub channels are not per Redis database: deployments sharing one Redis differ here.
REALTIME_CHANNEL_PREFIX = env.str("REALTIME_CHANNEL_PREFIX", default="keel")
# A hung Redis costs a write this long once, then the circuit breaker skips publishing.
REALTIME_REDIS_SOCKET_TIMEOUT = env.float("REALTIME_REDIS_SOCKET_TIMEOUT", default=0.25)
CHANNEL_LAYERS = {
    "default": build_channel_layer(
        REALTIME_REDIS_URL,
        prefix=REALTIME_CHANNEL_PREFIX,
        socket_timeout=REALTIME_REDIS_SOCKET_TIMEOUT,
    )
}
REALTIME_MAX_CONNECTIONS_PER_USER = env.int("REALTIME_MAX_CONNECTIONS_PER_USER", default=5)
# A socket must authenticate this soon after it opens.
REALTIME_AUTH_TIMEOUT_SECONDS = env.float("REALTIME_AUTH_TIMEOUT_SECONDS", default=10.0)
# A {"type": "ping"} this often; under the proxies' idle timeouts (nginx: 60 s).
REALTIME_HEARTBEAT_SECONDS = env.float("REALTIME_HEARTBEAT_SECONDS", default=25.0)
# Events waiting for a client that reads too slowly; one more and it is disconnected.
REALTIME_MAX_PENDING_EVENTS = env.int("REALTIME_MAX_PENDING_EVENTS", default=100)
# Where `manage.py serve_realtime` listens (the realtime process).
REALTIME_BIND = env.str("REALTIME_BIND", default="127.0.0.1:8001")

# --- Auth -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "accounts.hashers.KeelArgon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# OWASP's minimum for Argon2id, in its 7 MiB and five passes form (accounts.hashers
# lists the equal ones). Two logins at once on 2 CPUs took 29 ms a check each at 19 MiB
# and two passes, 25 ms at 7 MiB (memory bandwidth, measured), and every worker keeps
# the largest block it hashed in: 19 MiB against 7. Configurable upwards.
ARGON2_MEMORY_COST_KIB = env.int("ARGON2_MEMORY_COST_KIB", default=7_168)
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=5)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)

# Read by `manage.py ensure_superuser` (container start-up); the same names Django's
# `createsuperuser --noinput` uses.
DJANGO_SUPERUSER_EMAIL = env.str("DJANGO_SUPERUSER_EMAIL", default="")
DJANGO_SUPERUSER_PASSWORD = env.str("DJANGO_SUPERUSER_PASSWORD", default="")

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
STORAGES = {
    "default": build_file_storage(
        STORAGE_BACKEND,
        media_root=MEDIA_ROOT,
        bucket=env.str("S3_BUCKET", default=""),
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        public_endpoint_url=env.str("S3_PUBLIC_ENDPOINT_URL", default=""),
        region=env.str("S3_REGION", default=""),
        access_key_id=env.str("S3_ACCESS_KEY_ID", default=""),
        secret_access_key=env.str("S3_SECRET_ACCESS_KEY", default=""),
        addressing_style=env.str("S3_ADDRESSING_STYLE", default="auto"),
        checksums_when_required=env.bool("S3_CHECKSUMS_WHEN_REQUIRED", default=False),
        connect_timeout=env.float("S3_CONNECT_TIMEOUT", default=2.0),
        read_timeout=env.float("S3_READ_TIMEOUT", default=5.0),
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Uploaded files (storage app) -----------------------------------------------------

FILES_MAX_UPLOAD_BYTES = env.int("FILES_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
FILES_USER_QUOTA_BYTES = env.int("FILES_USER_QUOTA_BYTES", default=1024 * 1024 * 1024)
FILES_ALLOWED_TYPES = env.list(
    "FILES_ALLOWED_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/zip",
        "text/plain",
    ],
)
FILES_DOWNLOAD_URL_EXPIRY_SECONDS = env.int("FILES_DOWNLOAD_URL_EXPIRY_SECONDS", default=300)
FILES_LINK_MAX_EXPIRY_SECONDS = env.int("FILES_LINK_MAX_EXPIRY_SECONDS", default=7 * 24 * 3600)
FILES_DIRECT_UPLOAD_EXPIRY_SECONDS = env.int("FILES_DIRECT_UPLOAD_EXPIRY_SECONDS", default=3600)
FILES_PENDING_MAX_AGE_SECONDS = env.int("FILES_PENDING_MAX_AGE_SECONDS", default=24 * 3600)
STORAGE_HEALTH_CACHE_SECONDS = env.int("STORAGE_HEALTH_CACHE_SECONDS", default=10)

# --- Request limits -------------------------------------------------------------------

# Largest JSON (or form) body the API parses; larger ones are refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

# --- GraphQL (graphql_api, POST /api/graphql/) ----------------------------------------

# What one request may ask for (graphql_api/limits.py); refused before anything runs.
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=8)
GRAPHQL_MAX_COMPLEXITY = env.int("GRAPHQL_MAX_COMPLEXITY", default=5000)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
# A query is small: the body limit is far below API_MAX_BODY_BYTES.
GRAPHQL_MAX_BODY_BYTES = env.int("GRAPHQL_MAX_BODY_BYTES", default=64 * 1024)
# The schema is published as schema.graphql; production needs no introspection.
GRAPHQL_INTROSPECTION = env.bool("GRAPHQL_INTROSPECTION", default=DEBUG)

# --- Email ----------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Mail is sent by the task worker, never in a request; bounded all the same.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Keel <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Keel")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60)
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT_SECONDS", default=3 * 24 * 3600)
EMAIL_CHANGE_TIMEOUT = env.int("EMAIL_CHANGE_TIMEOUT_SECONDS", default=24 * 3600)

# How long a process keeps a bearer token's user between requests (accounts.auth_cache):
# exact through the auth versions in Redis; this bounds only a change made while Redis
# could not be told. 0 reads the database on every request.
AUTH_USER_CACHE_SECONDS = env.int("AUTH_USER_CACHE_SECONDS", default=30)

# How long a kept list page or object stays in Redis (resources.response_cache): exact
# through the owners' generations; this only bounds the memory an idle entry holds.
RESPONSE_CACHE_SECONDS = env.int("RESPONSE_CACHE_SECONDS", default=300)

# --- Two-factor authentication ----------------------------------------------------------

# The name authenticator apps show beside the account.
MFA_ISSUER = env.str("MFA_ISSUER", default="") or SITE_NAME
# How long the challenge a password earns stays good for the second step.
MFA_CHALLENGE_SECONDS = env.int("MFA_CHALLENGE_SECONDS", default=300)
# Staff without an authenticator cannot log into the admin (they enrol through the API).
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=False)

# --- Background tasks -----------------------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# A task that fails on a passing problem (mail server down) runs again after this
# many seconds, doubling each time, up to TASK_MAX_ATTEMPTS tries in all.
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=5)
TASK_RETRY_BASE_SECONDS = env.int("TASK_RETRY_BASE_SECONDS", default=30)
# A task RUNNING longer than this was left by a dead worker: it is queued again
# (``manage.py reclaim_stale_tasks``, run by the workers and the periodic jobs).
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=600)

# --- REST framework -------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    # An API key reaches only the resources its scopes name (accounts.api_keys).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.ApiKeyScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["config.api.filters.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonRateThrottle",
        "config.api.throttling.UserRateThrottle",
        "config.api.throttling.MachineClientThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_RATE_ANON", default="120/min"),
        "user": env.str("THROTTLE_RATE_USER", default="1200/min"),
        "api_key": env.str("THROTTLE_RATE_API_KEY", default="1200/min"),
        # Abuse protection of the account endpoints: each counted per client IP and
        # per target account (the email in the body), in the shared cache. The admin's
        # login form counts in login's.
        "login_ip": env.str("THROTTLE_RATE_LOGIN_IP", default="30/min"),
        "login_account": env.str("THROTTLE_RATE_LOGIN_ACCOUNT", default="10/min"),
        "register_ip": env.str("THROTTLE_RATE_REGISTER_IP", default="20/hour"),
        "register_account": env.str("THROTTLE_RATE_REGISTER_ACCOUNT", default="5/hour"),
        "password_reset_ip": env.str("THROTTLE_RATE_PASSWORD_RESET_IP", default="20/hour"),
        "password_reset_account": env.str(
            "THROTTLE_RATE_PASSWORD_RESET_ACCOUNT", default="5/hour"
        ),
        "verification_ip": env.str("THROTTLE_RATE_VERIFICATION_IP", default="20/hour"),
        "verification_account": env.str("THROTTLE_RATE_VERIFICATION_ACCOUNT", default="5/hour"),
        # Two-factor codes (login's second step, confirming, disabling): 5 a minute per
        # account leaves a 6-digit code weeks of guessing.
        "mfa_ip": env.str("THROTTLE_RATE_MFA_IP", default="30/min"),
        "mfa_account": env.str("THROTTLE_RATE_MFA_ACCOUNT", default="5/min"),
        # Asking to change the email checks the password: per IP and per signed-in account.
        "email_change_ip": env.str("THROTTLE_RATE_EMAIL_CHANGE_IP", default="20/hour"),
        "email_change_account": env.str("THROTTLE_RATE_EMAIL_CHANGE_ACCOUNT", default="5/hour"),
    },
    # Clients behind this many trusted proxies: the client IP is read that many hops
    # from the right of X-Forwarded-For, never taken whole from the header.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "config.api.metadata.SimpleMetadata",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", default=15)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env.int("JWT_REFRESH_TOKEN_LIFETIME_DAYS", default=7)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ISSUER": env.str("JWT_ISSUER", default="keel"),
    "AUDIENCE": env.str("JWT_AUDIENCE", default="keel-api"),
    "LEEWAY": 5,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Access tokens carry a digest of the password hash: changing or resetting the
    # password rejects every access token issued before, not only the refresh tokens.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keel API",
    "DESCRIPTION": (
        "Versioned REST API. Every error is an RFC 9457 problem document "
        "(`application/problem+json`) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_problem_responses",
    ],
}

PROBLEM_TYPE_BASE_URL = env.str("PROBLEM_TYPE_BASE_URL", default="urn:keel:problem:")

# --- CORS -----------------------------------------------------------------------------

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "ETag", "Location", "Retry-After"]
# Conditional requests and request ids from browser front ends, beside the defaults.
CORS_ALLOW_HEADERS = (
    *default_headers,
    "if-match",
    "if-none-match",
    "x-request-id",
    "x-keel-token-transport",
)
# Cookie mode from a front end on another origin of the same site sends credentials.
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# ".example.com" lets the front end at app.example.com read the API's csrftoken cookie.
CSRF_COOKIE_DOMAIN = env.str("CSRF_COOKIE_DOMAIN", default="") or None

# --- Security (on whenever DEBUG is off) ----------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Browser cookie mode (accounts.cookies): where the refresh token travels, HttpOnly.
JWT_REFRESH_COOKIE_NAME = "keel_refresh"
JWT_REFRESH_COOKIE_PATH = "/api/v1/auth/token/"
JWT_REFRESH_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Typed as the two values one_of lets through, which is what set_cookie accepts.
JWT_REFRESH_COOKIE_SAMESITE = cast(
    Literal["Strict", "Lax"],
    one_of(
        "JWT_REFRESH_COOKIE_SAMESITE",
        env.str("JWT_REFRESH_COOKIE_SAMESITE", default="Strict"),
        ("Strict", "Lax"),
    ),
)
X_FRAME_OPTIONS = "DENY"

# --- Metrics and error reporting ------------------------------------------------------

# Checks you have decided do not apply, e.g. keel.W003 for one instance on local disk.
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
# With a token, /metrics wants "Authorization: Bearer <token>"; without, the client's
# address must be in one of these networks. Only loopback by default: behind a load
# balancer every client arrives from its private address.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
if METRICS_ENABLED:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    instrument_for_metrics(DATABASES, CACHES)

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.ops.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Logging --------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "config.ops.logging.RequestContextFilter"},
        "skip_dependency_errors": {"()": "config.ops.logging.SkipDependencyErrors"},
    },
    "formatters": {
        "json": {"()": "config.ops.logging.JsonFormatter"},
        "console": {"()": "config.ops.logging.ConsoleFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our own access log replaces Django's; 5xx tracebacks still come from here.
        "django.request": {
            "level": "ERROR",
            "propagate": True,
            "filters": ["skip_dependency_errors"],
        },
        "django.server": {"level": "ERROR", "propagate": True},
    },
}
