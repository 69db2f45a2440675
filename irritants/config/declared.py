"""Every setting, declared once with its type and default (``BaseConfig``), and the classes of each environment.

A setting annotated ``Env[...]`` may be overridden by the environment variable ``IRRITANTS_<NAME>``; its annotation
says how the text is read (bool, int, float, str, date, an enum, the ranking ``Weights``; see
``irritants.setting_types``) and the least value it may take. ``irritants.config.loading`` reads and checks them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from irritants.ranking import DEFAULT_WEIGHTS, Weights
from irritants.setting_types import Count, Declared, Env, Positive, Seconds, Share, declarations_of
from irritants.settings import ClusteringEncoder, JobsMode, LogFormat, LogLevel

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_instance_path(package_parent: Path) -> Path:
    """``instance`` next to the package in a checkout (its setup.cfg beside it), else ``instance`` relative to the
    folder the process starts in (resolved when the settings are loaded)."""
    return package_parent / "instance" if (package_parent / "setup.cfg").is_file() else Path("instance")


# A checkout (installed editable or not) keeps its local state in the repository's instance folder, as before; an
# installed wheel (PROJECT_ROOT is then site-packages) in ./instance of the folder the process starts in, never inside
# site-packages. Deployments set IRRITANTS_INSTANCE_PATH (docs/deployment.md).
INSTANCE_PATH = default_instance_path(PROJECT_ROOT)
SQLITE_FILE_NAME = "irritants.sqlite3"
# The development secret of earlier versions, published in this repository: refused everywhere it could sign
# something that matters (see load_config). Development now generates its own secret in the instance folder.
INSECURE_DEV_SECRET = "dev-secret-not-for-production"  # noqa: S105
SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name
RATELIMIT_FILE_NAME = "ratelimits.sqlite3"
ENV_PREFIX = "IRRITANTS_"
# prometheus_client's own variable: its counters go to files in that folder, shared by the processes of one run.
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_TOKEN_MIN_LENGTH = 16
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
# Seconds a web request waits for Redis before doing without it (rate limits, dashboard cache, worker wake-ups).
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class ConfigurationError(RuntimeError):
    """The configuration is unusable (e.g. production without a secret, a variable that does not parse)."""


class BaseConfig:
    """Settings shared by every environment: the one declaration of each (name, type, default)."""

    # Empty: development generates one into INSTANCE_PATH on first start, production refuses to start.
    SECRET_KEY: Env[str] = ""
    # Local state that is never committed: the SQLite database, the generated development secret, demo accounts, the
    # rate-limit counters, mails and exports. A relative path is taken from the folder the process starts in.
    INSTANCE_PATH: Env[str] = str(INSTANCE_PATH)
    # Empty: the SQLite file irritants.sqlite3 of the instance folder.
    DATABASE_URL: Env[str] = ""
    DATABASE_ECHO: Env[bool] = False
    REDIS_URL: Env[str | None] = None

    # Log lines (docs/operations.md, « Journaux »): one JSON object per line, or plain text for a terminal. JSON in
    # production and under gunicorn (gunicorn.conf.py makes it the default there), text for `flask run` and commands.
    LOG_FORMAT: Env[LogFormat] = LogFormat.TEXT
    LOG_LEVEL: Env[LogLevel] = LogLevel.INFO
    # Unexpected errors reported to Sentry (or a compatible service) when set; needs the « sentry » extra.
    SENTRY_DSN: Env[str | None] = None

    # Bodies are small: a report is at most 4,000 characters of text.
    MAX_CONTENT_LENGTH: Positive = 64 * 1024

    # Anti-abuse on public endpoints (Flask-Limiter syntax).
    # Counters are shared by every worker: empty means Redis when REDIS_URL is set, else the counters file
    # instance/ratelimits.sqlite3 (irritants/ratelimit_store.py). "memory://" counts per process: one worker only.
    RATELIMIT_ENABLED: Env[bool] = True
    RATELIMIT_STORAGE_URI: Env[str] = ""
    RATELIMIT_KEY_PREFIX: Env[str] = "irritants"
    RATELIMIT_HEADERS_ENABLED: bool = True
    # Counters unreachable (Redis down, the counters file unwritable): each process counts alone, in memory, with the
    # same limits, and asks the storage again after 1, 2, 4… 32 s; one WARNING line per process when it falls back,
    # one INFO line when the storage answers again. Citizens and agents are served all along (docs/operations.md).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED: bool = True
    RATELIMIT_SUBMIT: Env[str] = "5 per minute;30 per hour;100 per day"
    RATELIMIT_READ: Env[str] = "120 per minute"
    FORM_MIN_FILL_SECONDS: Env[Seconds] = 3.0
    FORM_MAX_AGE_SECONDS: Seconds = 24 * 3600
    PROXY_FIX_COUNT: Env[Count] = 0
    # /metrics (Prometheus, docs/monitoring.md) answers only requests bearing this token (« Authorization: Bearer
    # … »); unset, the route does not exist (404) and requests are not measured. 16 characters at least.
    METRICS_TOKEN: Env[str | None] = None
    # Where the gunicorn workers of one run write their counters for /metrics to add up (prometheus_client's
    # multiprocess mode): read from PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py sets; None: one process counts.
    METRICS_MULTIPROC_DIR: str | None = None

    # Security headers and cookies.
    FORCE_HTTPS: Env[bool] = False
    SESSION_COOKIE_SECURE: Env[bool] = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # Cookie names: the plain ones here; with SESSION_COOKIE_SECURE, "__Host-" (or "__Secure-" for the device cookie,
    # whose path is /agents) is put in front by load_config (cookie_names).
    SESSION_COOKIE_NAME: str = "session"
    PERSON_COOKIE_NAME: str = "irritants_personne"
    DEVICE_COOKIE_NAME: str = "agent_device"
    REMEMBER_COOKIE_NAME: str = "remember_token"
    WTF_CSRF_TIME_LIMIT: Positive | None = 24 * 3600
    # No "remember me" is offered; should a remember cookie ever be set, it is as locked down as the session.
    REMEMBER_COOKIE_SECURE: bool = False
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST: bool = False

    # Agents' sign-in: sessions end after this idle time and, whatever the activity, after this many hours
    # (PERMANENT_SESSION_LIFETIME, the signed cookie's maximum age, follows AGENT_SESSION_HOURS).
    AGENT_IDLE_MINUTES: Env[Positive] = 30
    AGENT_SESSION_HOURS: Env[Positive] = 12
    PERMANENT_SESSION_LIFETIME: dt.timedelta = dt.timedelta(hours=12)
    REMEMBER_COOKIE_DURATION: dt.timedelta = dt.timedelta(hours=12)
    # Sign-in throttling, never an account lockout (auth/throttle.py): failed passwords on one address from one
    # network or browser before waits start (1 minute, doubling), the longest wait, and failed passwords on one
    # address from all browsers that never signed in to it before those wait too. Failed attempts per IP on top.
    LOGIN_MAX_FAILURES: Env[Positive] = 5
    LOGIN_LOCK_MINUTES: Env[Positive] = 15
    LOGIN_ACCOUNT_MAX_FAILURES: Env[Positive] = 20
    RATELIMIT_LOGIN: Env[str] = "10 per minute;50 per hour"
    PASSWORD_MIN_LENGTH: Positive = 12
    # « Mot de passe oublié ? »: requests per network (links per address are capped in auth/password_reset.py), and
    # how long a mailed link stays valid.
    RATELIMIT_PASSWORD_RESET: Env[str] = "5 per 15 minutes;20 per day"  # noqa: S105 - a rate, not a secret
    PASSWORD_RESET_MINUTES: Env[Positive] = 30
    # API tokens created without an explicit lifetime expire after this many days.
    API_TOKEN_DEFAULT_DAYS: Env[Positive] = 90

    # ProConnect (OpenID Connect), switched on when the issuer and client id are set. The issuer is the
    # discovery base, e.g. https://auth.agentconnect.gouv.fr/api/v2 (".well-known/openid-configuration" added).
    PROCONNECT_ISSUER: Env[str] = ""
    PROCONNECT_CLIENT_ID: Env[str] = ""
    PROCONNECT_CLIENT_SECRET: Env[str] = ""
    PROCONNECT_SCOPES: Env[str] = "openid email given_name usual_name"

    # Contact data is purged after this many days (RGPD minimisation).
    CONTACT_RETENTION_DAYS: Env[Count] = 365
    # …and, once the report's irritant is closed, this many months after closing (`purge-personal-data`).
    PERSONAL_DATA_RETENTION_MONTHS: Env[Count] = 12
    # Deactivated agents' accounts are deleted this many days after the deactivation (the history keeps « agent n° N »).
    DEACTIVATED_AGENT_RETENTION_DAYS: Env[Positive] = 365
    # Distinct people flagging an excerpt as abusive before it is hidden until a moderator reviews it.
    ABUSE_FLAG_THRESHOLD: Env[Positive] = 3
    # « Moi aussi » and abuse flags count once per network (keyed hash of the address): kept this many days.
    SOURCE_RETENTION_DAYS: Env[Count] = 30
    # Per-network limits (IPv4 address, IPv6 /64) on « moi aussi » and on abuse flags.
    RATELIMIT_SUPPORT: Env[str] = "20 per minute;200 per day"
    RATELIMIT_FLAG: Env[str] = "10 per minute;50 per day"
    # « Lien de suivi perdu »: per network, and per address (its keyed hash), so that nobody floods one mailbox.
    RATELIMIT_LOST_LINK: Env[str] = "5 per minute;30 per day"
    RATELIMIT_LOST_LINK_ADDRESS: Env[str] = "3 per hour;6 per day"
    # A report's author writing on their tracking page (replies, details), per report.
    RATELIMIT_REPORTER_MESSAGE: Env[str] = "5 per minute;20 per day"
    # Reports an Open311 partner may post, per API key (a partner posts for many citizens from one server).
    RATELIMIT_PARTNER_SUBMIT: Env[str] = "60 per minute;5000 per day"
    # What Open311 discovery tells clients: whom to write to, and how to get an API key.
    OPEN311_CONTACT: Env[str] = "Équipe irritants : contact@irritants.localhost"
    OPEN311_KEY_SERVICE: Env[str] = (
        "Clé d'API délivrée aux partenaires sur demande à l'équipe (commande « irritants partners create »)."
    )
    # API clients' own X-Supporter-Id (not issued by POST /api/v1/supporters) are refused from this date on.
    UNSIGNED_SUPPORTER_SUNSET: Env[dt.date] = dt.date(2027, 3, 3)

    # OpenAPI (flask-smorest).
    API_TITLE: str = "irritants"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/api/v1"
    OPENAPI_JSON_PATH: str = "openapi.json"

    # Clustering of new reports (JobsMode); "worker" by default when REDIS_URL is set (except in tests).
    JOBS_MODE: Env[JobsMode] = JobsMode.THREAD
    CLUSTERING_ENCODER: Env[ClusteringEncoder] = ClusteringEncoder.AUTO
    CLUSTERING_SEED: Env[Count] = 42
    # OpenMP threads of the embedding model per process (0: the library's default, all cores).
    EMBEDDING_THREADS: Env[Count] = 0
    # Processes that compute vectors in bulk (import, re-clustering), one model with one thread each (0: one per
    # core for a thousand texts or more).
    EMBEDDING_PROCESSES: Env[Count] = 0
    # Load the embedding model in the background as soon as a web process starts (see clusters/loading.py).
    PRELOAD_ENCODER: Env[bool] = True
    # A partial JSON object over the defaults, e.g. {"people": 12, "half_life_days": 45} (docs/ranking.md).
    RANKING_WEIGHTS: Env[Weights] = DEFAULT_WEIGHTS
    # « Est-ce résolu pour vous ? »: a fixed irritant is flagged « non résolu pour les usagers » on the backlog when
    # the share of « non » among its answers reaches UNRESOLVED_SHARE with at least UNRESOLVED_MIN_ANSWERS answers
    # (under that many answers no rate is shown either).
    UNRESOLVED_SHARE: Env[Share] = 0.3
    UNRESOLVED_MIN_ANSWERS: Env[Positive] = 5
    # Weeks compared before and after a fix day (fewer when an irritant has less history): docs/fix-effect.md.
    FIX_EFFECT_WEEKS: Env[Positive] = 8
    # Exports of reports, irritants and squads (docs/exports.md): up to this many rows the file streams at once;
    # beyond, it is built by the background runner into <INSTANCE_PATH>/exports and kept EXPORT_KEEP_DAYS days.
    EXPORT_STREAM_MAX: Env[Positive] = 10_000
    EXPORT_KEEP_DAYS: Env[Positive] = 7
    # How long the managers' dashboard keeps the figures of one filter set (0: computed on every view); shared through
    # Redis when REDIS_URL is set, else per process (docs/dashboard.md).
    DASHBOARD_CACHE_SECONDS: Env[Count] = 60

    # Webhooks of squads' own tools (irritants/webhooks/): requests to private, loopback, link-local or reserved
    # addresses are refused, and http:// URLs too, unless this is set (a receiver on 127.0.0.1 in development and
    # tests); how long one delivery may wait to connect, and then for each read of the answer.
    WEBHOOK_ALLOW_PRIVATE: Env[bool] = False
    WEBHOOK_TIMEOUT_SECONDS: Env[Positive] = 5
    # Outgoing mail (irritants/outbox): smtp://user:password@host:port, smtps://…, ?starttls=1. Unset: mails are
    # written as .eml files into MAIL_DIR (default: <INSTANCE_PATH>/mails) for a developer to read.
    SMTP_URL: Env[str | None] = None
    MAIL_FROM: Env[str] = "Irritants <ne-pas-repondre@irritants.localhost>"
    MAIL_DIR: Env[str | None] = None
    # Status messages to one address within this many minutes go out as one mail.
    MAIL_GROUP_MINUTES: Env[Count] = 0
    # Absolute base of the links in messages (e.g. https://irritants.beta.gouv.fr); required in production with SMTP.
    PUBLIC_URL: Env[str | None] = None

    SERVICE_NAME: str = "Irritants"
    SERVICE_TAGLINE: str = "Signaler ce qui bloque dans vos démarches administratives"
    TESTING: bool = False
    DEBUG: bool = False


class DevelopmentConfig(BaseConfig):
    """Local development: SQLite, readable errors."""

    PUBLIC_URL = "http://127.0.0.1:5000"


class TestingConfig(BaseConfig):
    """Tests: per-test database, deterministic anti-abuse settings."""

    TESTING = True
    # An explicit, public secret: tests must not depend on (nor write) a developer's instance folder.
    SECRET_KEY = "testing-secret-not-for-production"  # noqa: S105
    JOBS_MODE = JobsMode.INLINE
    # Fast and model-free by default in tests; clustering tests ask for embeddings explicitly.
    CLUSTERING_ENCODER = ClusteringEncoder.TFIDF
    # Tests that need the model load it (or a stand-in) themselves.
    PRELOAD_ENCODER = False
    FORM_MIN_FILL_SECONDS = 0.0
    RATELIMIT_ENABLED = False
    # Each test app counts alone (a test that switches limits on must not share counters with another).
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_URL = "http://irritants.test"
    # Never a developer's instance folder (the suite points each run at a folder of its own).
    MAIL_DIR = str(Path(tempfile.gettempdir()) / "irritants-test-mails")


class ProductionConfig(BaseConfig):
    """Production: refuses to start without a real secret."""

    LOG_FORMAT = LogFormat.JSON
    FORCE_HTTPS = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_GROUP_MINUTES = 15


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def declarations() -> dict[str, Declared]:
    """Every setting of BaseConfig, from its annotation (the one list of settings and their types)."""
    return declarations_of(BaseConfig)


def read_setting(name: str, declared: Declared, convert: Any, value: Any) -> Any:
    """``convert(declared, value)``, a refusal becoming a ``ConfigurationError`` that names the setting."""
    try:
        return convert(declared, value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} invalide : {exc}") from exc
