"""HarvestDash settings, all read from the environment.

With nothing set, the app runs on an embedded default: SQLite and a Celery broker
on the local filesystem, both under DATA_DIR. `DATABASE_URL` switches to
PostgreSQL and `REDIS_URL` switches the broker, the cache and the rate-limit
store to Redis. `.env.example` lists every variable.
"""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from harvestdash.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

HARVESTDASH_ENV = env_str("HARVESTDASH_ENV", "development")
if HARVESTDASH_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("HARVESTDASH_ENV must be development or production")
PRODUCTION = HARVESTDASH_ENV == "production"

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", not PRODUCTION)


def _development_secret(name: str, make) -> str:
    """A per-checkout secret kept in DATA_DIR, so development needs no setup."""
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


SECRET_KEY = env_str("SECRET_KEY")
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with DEBUG=true.")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("Production needs a random SECRET_KEY of 50+ chars.")
    if not TOKEN_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "Production needs TOKEN_ENCRYPTION_KEYS: Harvest tokens are stored "
            "encrypted and there is no key to encrypt them with."
        )
else:
    SECRET_KEY = SECRET_KEY or _development_secret(
        "secret-key", lambda: secrets.token_urlsafe(50)
    )
    TOKEN_ENCRYPTION_KEYS = TOKEN_ENCRYPTION_KEYS or [
        _development_secret("token-key", _new_fernet_key)
    ]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "allauth",
    "allauth.account",
    "workspaces",
    "connectors",
    "datasources",
    "klips",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "workspaces.middleware.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "harvestdash.urls"
WSGI_APPLICATION = "harvestdash.wsgi.application"

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
                "workspaces.context_processors.current_workspace",
                "datasources.context_processors.attention",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "harvestdash.sqlite3",
            # Web, worker and beat write to one file: WAL lets readers go on while
            # a refresh writes, and IMMEDIATE transactions wait instead of failing
            # with "database is locked" halfway through.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # A Redis outage makes the cache miss instead of failing every page: Klip
    # results are recomputed from the stored Parquet, dashboards keep answering.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Celery: Redis when configured, otherwise kombu's filesystem transport, which
# several processes on one machine can share.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu writes its broadcast exchange into the current folder.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "due-work-ticker": {
        "task": "datasources.tasks.tick",
        "schedule": env_int("SCHEDULER_TICK_SECONDS", 30),
        "options": {"expires": 25},
    },
}

# Where the shared rate limiter keeps its counters: Redis when configured,
# otherwise a SQLite file that every worker process on this machine opens.
RATE_LIMIT_STORE = REDIS_URL or f"sqlite:///{DATA_DIR / 'ratelimit.sqlite3'}"

# Harvest. Only these origins ever receive a token.
HARVEST_API_BASE = env_str("HARVEST_API_BASE", "https://api.harvestapp.com").rstrip("/")
HARVEST_ID_BASE = env_str("HARVEST_ID_BASE", "https://id.getharvest.com").rstrip("/")
HARVEST_CLIENT_ID = env_str("HARVEST_CLIENT_ID")
HARVEST_CLIENT_SECRET = env_str("HARVEST_CLIENT_SECRET")
HARVEST_CONTACT = env_str("HARVEST_CONTACT", "admin@localhost")
HARVEST_TIMEOUT_SECONDS = env_int("HARVEST_TIMEOUT_SECONDS", 30)
# Multiplies the rate limiter's windows (15 s, 15 min); below 1 only in tests
# against a sandbox whose windows are scaled the same way.
HARVEST_RATE_LIMIT_SCALE = float(env_str("HARVEST_RATE_LIMIT_SCALE", "1"))
if not HARVEST_RATE_LIMIT_SCALE > 0:
    raise ImproperlyConfigured("HARVEST_RATE_LIMIT_SCALE must be a number above 0")

# Refreshed data: one file per version through Django's storage API, so web and
# workers on different machines can share it (S3-compatible in production).
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
DATASET_CACHE_DIR = DATA_DIR / "dataset-cache"
# How long a refresh holds its source (and collection mirror) before a dead
# worker's claim lapses; renewed on every page. Short in fault tests.
REFRESH_LEASE_SECONDS = env_int("REFRESH_LEASE_SECONDS", 30 * 60)
# Collection mirrors re-list everything this often to drop deleted records.
MIRROR_FULL_PASS_HOURS = env_int("MIRROR_FULL_PASS_HOURS", 24)
# A refresh collecting more records (or more MB of flattened records) than this
# ends as failed "too large" and keeps the previous version.
MAX_SOURCE_ROWS = env_int("MAX_SOURCE_ROWS", 1_000_000)
MAX_SOURCE_BYTES = env_int("MAX_SOURCE_BYTES", 4 * 1024 * 1024 * 1024)

# The REST API (api/): hashed per-user tokens only, JSON only; no session
# authentication, so no cookie-borne request reaches it.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.HashedTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    # Counted in the shared cache (Redis, or the file cache every process opens).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_RATE", "1000/hour")},
}

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "workspaces.accounts.AccountAdapter"
ACCOUNT_USER_DISPLAY = "workspaces.accounts.user_display"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "harvestdash@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Scripts only from our own static files: Harvest names are attacker-controlled
# text, and this keeps an escaping slip from turning into running script.
# Plotly sets inline styles on the SVG it draws, so styles need unsafe-inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, HARVEST_ID_BASE],
    }
}

# Error pages and reports hide tokens even with DEBUG on.
DEFAULT_EXCEPTION_REPORTER_FILTER = (
    "connectors.harvest.logsafety.TokenSafeExceptionReporterFilter"
)
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full request URLs at DEBUG; keep it quiet so a token that a
        # future change puts in a URL can never reach the log.
        "urllib3": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
    },
}
