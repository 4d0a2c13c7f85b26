"""Coproduce settings: one module, read from environment variables, runs with none set.

Every variable is listed, with its default, in `.env.example` and the README.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from coproduce.lib.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("COPRODUCE_DATA_DIR") or BASE_DIR / "var")

DEBUG = env_bool("COPRODUCE_DEBUG", False)
# Behind TLS in production. Local demos over plain HTTP turn this off.
HTTPS = env_bool("COPRODUCE_HTTPS", not DEBUG)
# Without a key in production mode, a throw-away one lets commands such as `scan` run, while the
# system check coproduce.E001 stops `serve` (and `check --deploy`) until a real one is set.
SECRET_KEY_FROM_ENVIRONMENT = bool(env_str("COPRODUCE_SECRET_KEY"))
SECRET_KEY = env_str("COPRODUCE_SECRET_KEY") or (
    "insecure-development-key-do-not-use-in-production" if DEBUG else secrets.token_urlsafe(50)
)
ALLOWED_HOSTS = env_list("COPRODUCE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("COPRODUCE_CSRF_TRUSTED_ORIGINS")
SITE_NAME = env_str("COPRODUCE_SITE_NAME", "NHS Faculty of Health Informatics")
SITE_URL = env_str("COPRODUCE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_tasks_db",
    "ninja",
    "coproduce.core",
    "coproduce.accounts",
    "coproduce.governance",
    "coproduce.communities",
    "coproduce.wiki",
    "coproduce.search",
    "coproduce.discussions",
    "coproduce.notifications",
    "coproduce.reports",
    "coproduce.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "coproduce.core.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "coproduce.communities.memo.RequestMemoMiddleware",  # a role asked thrice in a request: one query
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "coproduce.core.middleware.RateLimitMiddleware",  # 429s carry Retry-After; the client's address
    "coproduce.core.middleware.SignInGuardMiddleware",  # erased members out; staff need a second factor
    # HTML views refused with ConductNotAccepted show "accept the code of conduct first" instead.
    "coproduce.communities.conduct_views.ConductRequiredMiddleware",
]

ROOT_URLCONF = "coproduce.urls"
ASGI_APPLICATION = "coproduce.asgi.application"
WSGI_APPLICATION = "coproduce.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coproduce.core.context_processors.site",
                "coproduce.notifications.context_processors.unread_notifications",
                "coproduce.communities.conduct_views.conduct_context",  # lazy: costs nothing unless used
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Requests run on a fixed pool of threads (coproduce/asgi.py), so each thread keeps its database
# connection between requests; the pool size bounds the connections a process holds.
HTTP_THREADS = env_int("COPRODUCE_HTTP_THREADS", 8, minimum=1)
CONN_MAX_AGE_SECONDS = 600
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE_SECONDS, conn_health_checks=True
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("COPRODUCE_SQLITE_PATH") or str(DATA_DIR / "coproduce.sqlite3"),
            "OPTIONS": {
                # Writers wait for each other instead of failing with "database is locked":
                # WAL lets readers run beside one writer, IMMEDIATE takes the write lock at
                # the start of a transaction, and the timeout is how long a writer waits.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": env_str("COPRODUCE_TEST_SQLITE_PATH") or None},
            "CONN_MAX_AGE": CONN_MAX_AGE_SECONDS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis being down degrades to cache misses, never to an error page.
            "BACKEND": "coproduce.lib.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database so that sign-ins survive the cache going away.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Background tasks -----------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("COPRODUCE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
ACCOUNT_ADAPTER = "coproduce.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "coproduce.accounts.forms.LoginForm",
    "signup": "coproduce.accounts.forms.SignupForm",
}
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
USERSESSIONS_TRACK_ACTIVITY = False
# Abuse limits on log-in, sign-up and password reset, counted by allauth ("ip": per client address,
# "key": per username or e-mail address typed). Refusals answer 429 with Retry-After and keep the
# form as typed (coproduce.accounts.views). COPRODUCE_RATE_LIMITS=0 turns these off with the rest.
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {
    "login": "30/m/ip",  # every log-in attempt
    "login_failed": "10/m/ip,5/5m/key",  # failed log-ins
    "signup": "20/m/ip,200/h/ip",  # a workshop room may share one address
    "reset_password": "20/m/ip,5/h/key",  # reset e-mails asked for
}
# Lockout (issue 6, "signin"): this many failed log-ins in a row lock the account for this long;
# its owner gets one e-mail per lockout, and a password reset unlocks it.
LOCKOUT_ATTEMPTS = env_int("COPRODUCE_LOCKOUT_ATTEMPTS", 10, minimum=1)
LOCKOUT_MINUTES = env_int("COPRODUCE_LOCKOUT_MINUTES", 15, minimum=1)
# Moderators and admins must set up an authenticator app (TOTP) before doing anything else.
# On unless in development mode, where the demo's admin should be able to look around at once.
REQUIRE_MFA_FOR_STAFF = env_bool("COPRODUCE_REQUIRE_MFA_FOR_STAFF", not DEBUG)

# --- E-mail ---------------------------------------------------------------
_EMAIL_HOST = env_str("COPRODUCE_EMAIL_HOST")
EMAIL_BACKEND_PATH = env_str("COPRODUCE_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if _EMAIL_HOST and not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
_mail_options: dict[str, object] = {}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _EMAIL_HOST or "localhost",
        "port": env_int("COPRODUCE_EMAIL_PORT", 25, minimum=1),
        "username": env_str("COPRODUCE_EMAIL_USER"),
        "password": env_str("COPRODUCE_EMAIL_PASSWORD"),
        "use_tls": env_bool("COPRODUCE_EMAIL_TLS", False),
        "timeout": 20,
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _mail_options = {"file_path": str(env_str("COPRODUCE_EMAIL_FILE_PATH") or DATA_DIR / "mail")}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env_str("COPRODUCE_FROM_EMAIL", "coproduce@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Limits ---------------------------------------------------------------
MAX_REQUEST_BYTES = env_int("COPRODUCE_MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
INVITATION_DAYS = env_int("COPRODUCE_INVITATION_DAYS", 28, minimum=1)
WIKI_MAX_BODY_CHARS = env_int("COPRODUCE_WIKI_MAX_BODY_CHARS", 200_000, minimum=1000)
ATTACHMENT_MAX_BYTES = env_int("COPRODUCE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Attachments larger than this are scanned for patient data by a background task after upload
# (and held from other readers until the scan passes); smaller ones are scanned during the upload.
SCAN_INLINE_BYTES = env_int("COPRODUCE_SCAN_INLINE_BYTES", 2 * 1024 * 1024, minimum=0)
COMMENT_MAX_CHARS = env_int("COPRODUCE_COMMENT_MAX_CHARS", 10_000, minimum=100)
COMMENT_EDIT_MINUTES = env_int("COPRODUCE_COMMENT_EDIT_MINUTES", 30, minimum=0)
FLAGS_PER_HOUR = env_int("COPRODUCE_FLAGS_PER_HOUR", 10, minimum=1)
PAPER_RENDERS_PER_HOUR = env_int("COPRODUCE_PAPER_RENDERS_PER_HOUR", 10, minimum=1)  # per facilitator
RENDER_LEASE_SECONDS = env_int("COPRODUCE_RENDER_LEASE_SECONDS", 600, minimum=10)  # a render's claim
RENDER_ATTEMPTS = env_int("COPRODUCE_RENDER_ATTEMPTS", 3, minimum=1)  # before an edition shows failed

# --- Notifications --------------------------------------------------------
DIGEST_HOUR = int(env_choice("COPRODUCE_DIGEST_HOUR", "7", [str(h) for h in range(24)]))  # local hour
UNSUBSCRIBE_LINK_DAYS = env_int("COPRODUCE_UNSUBSCRIBE_LINK_DAYS", 90, minimum=1)
PAGE_CACHE_ENTRIES = env_int("COPRODUCE_PAGE_CACHE_ENTRIES", 500, minimum=0)
# Pages each signed-in member was shown, per process (core/viewercache.py); 0 turns it off.
VIEWER_CACHE_ENTRIES = env_int("COPRODUCE_VIEWER_CACHE_ENTRIES", 500, minimum=0)
RATE_LIMITS_ENABLED = env_bool("COPRODUCE_RATE_LIMITS", True)
if not RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False  # allauth's own limits on log-in, sign-up and password reset

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "build" / "vendor")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Over HTTPS the cookies carry the __Host- prefix: browsers then insist on Secure, Path=/ and no
# Domain, so a neighbouring subdomain cannot set or overwrite them.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SECURE_SSL_REDIRECT = HTTPS and env_bool("COPRODUCE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("COPRODUCE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Abuse limits (issue 6, "signin"): every limit counted per account is also counted per client
# address, at this many times the account's limit (people share addresses); page saves per account.
RATE_LIMIT_ADDRESS_FACTOR = env_int("COPRODUCE_RATE_LIMIT_ADDRESS_FACTOR", 20, minimum=1)
PAGE_SAVES_PER_HOUR = env_int("COPRODUCE_PAGE_SAVES_PER_HOUR", 120, minimum=1)

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # WeasyPrint reports each step of every render at INFO; only its warnings are worth reading.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("COPRODUCE_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
}

FORM_RENDERER = "coproduce.core.forms.NhsukFormRenderer"
