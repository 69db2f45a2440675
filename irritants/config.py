"""Configuration classes; the only module that reads ``os.environ``."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"
DEFAULT_SQLITE_PATH = INSTANCE_PATH / "irritants.sqlite3"
# The development secret of earlier versions, published in this repository: refused everywhere it could sign
# something that matters (see load_config). Development now generates its own secret in the instance folder.
INSECURE_DEV_SECRET = "dev-secret-not-for-production"  # noqa: S105
SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name
RATELIMIT_FILE_NAME = "ratelimits.sqlite3"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    """Settings shared by every environment."""

    # Empty: development generates one into INSTANCE_PATH on first start, production refuses to start.
    SECRET_KEY: str = ""
    # Local state that is never committed: the SQLite database, the generated development secret, demo accounts.
    INSTANCE_PATH: str = str(INSTANCE_PATH)
    DATABASE_URL: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    DATABASE_ECHO: bool = False
    REDIS_URL: str | None = None

    # Bodies are small: a report is at most 4,000 characters of text.
    MAX_CONTENT_LENGTH: int = 64 * 1024

    # Anti-abuse on public endpoints (Flask-Limiter syntax).
    # Counters are shared by every worker: empty means Redis when REDIS_URL is set, else the counters file
    # instance/ratelimits.sqlite3 (irritants/ratelimit_store.py). "memory://" counts per process: one worker only.
    RATELIMIT_ENABLED: bool = True
    RATELIMIT_STORAGE_URI: str = ""
    RATELIMIT_KEY_PREFIX: str = "irritants"
    RATELIMIT_HEADERS_ENABLED: bool = True
    RATELIMIT_SUBMIT: str = "5 per minute;30 per hour;100 per day"
    RATELIMIT_READ: str = "120 per minute"
    FORM_MIN_FILL_SECONDS: float = 3.0
    FORM_MAX_AGE_SECONDS: float = 24 * 3600
    PROXY_FIX_COUNT: int = 0

    # Security headers and cookies.
    FORCE_HTTPS: bool = False
    SESSION_COOKIE_SECURE: bool = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    WTF_CSRF_TIME_LIMIT: int | None = 24 * 3600
    # No "remember me" is offered; should a remember cookie ever be set, it is as locked down as the session.
    REMEMBER_COOKIE_SECURE: bool = False
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST: bool = False

    # Agents' sign-in: sessions end after this idle time and, whatever the activity, after this many hours
    # (PERMANENT_SESSION_LIFETIME, the signed cookie's maximum age, follows AGENT_SESSION_HOURS).
    AGENT_IDLE_MINUTES: int = 30
    AGENT_SESSION_HOURS: int = 12
    PERMANENT_SESSION_LIFETIME: dt.timedelta = dt.timedelta(hours=12)
    REMEMBER_COOKIE_DURATION: dt.timedelta = dt.timedelta(hours=12)
    # Sign-in throttling, never an account lockout (auth/throttle.py): failed passwords on one address from one
    # network or browser before waits start (1 minute, doubling), the longest wait, and failed passwords on one
    # address from all browsers that never signed in to it before those wait too. Failed attempts per IP on top.
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCK_MINUTES: int = 15
    LOGIN_ACCOUNT_MAX_FAILURES: int = 20
    RATELIMIT_LOGIN: str = "10 per minute;50 per hour"
    PASSWORD_MIN_LENGTH: int = 12
    # API tokens created without an explicit lifetime expire after this many days.
    API_TOKEN_DEFAULT_DAYS: int = 90

    # ProConnect (OpenID Connect), switched on when the issuer and client id are set. The issuer is the
    # discovery base, e.g. https://auth.agentconnect.gouv.fr/api/v2 (".well-known/openid-configuration" added).
    PROCONNECT_ISSUER: str = ""
    PROCONNECT_CLIENT_ID: str = ""
    PROCONNECT_CLIENT_SECRET: str = ""
    PROCONNECT_SCOPES: str = "openid email given_name usual_name"

    # Contact data is purged after this many days (RGPD minimisation).
    CONTACT_RETENTION_DAYS: int = 365
    # …and, once the report's irritant is closed, this many months after closing (`purge-personal-data`).
    PERSONAL_DATA_RETENTION_MONTHS: int = 12
    # Distinct people flagging an excerpt as abusive before it is hidden until a moderator reviews it.
    ABUSE_FLAG_THRESHOLD: int = 3
    # « Moi aussi » and abuse flags count once per network (keyed hash of the address): kept this many days.
    SOURCE_RETENTION_DAYS: int = 30
    # Per-network limits (IPv4 address, IPv6 /64) on « moi aussi » and on abuse flags.
    RATELIMIT_SUPPORT: str = "20 per minute;200 per day"
    RATELIMIT_FLAG: str = "10 per minute;50 per day"
    # API clients' own X-Supporter-Id (not issued by POST /api/v1/supporters) are refused from this date on.
    UNSIGNED_SUPPORTER_SUNSET: dt.date = dt.date(2027, 3, 3)

    # OpenAPI (flask-smorest).
    API_TITLE: str = "irritants"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/api/v1"
    OPENAPI_JSON_PATH: str = "openapi.json"

    # Clustering of new reports: "thread" (embedded default), "worker" (`irritants worker`), "inline" (tests).
    JOBS_MODE: str = "thread"
    # Text encoder for clustering: "auto" (sentence embeddings when installed, else TF-IDF), "embedding", "tfidf".
    CLUSTERING_ENCODER: str = "auto"
    CLUSTERING_SEED: int = 42
    # OpenMP threads of the embedding model per process (0: the library's default, all cores).
    EMBEDDING_THREADS: int = 0
    # Load the embedding model in the background as soon as a web process starts (see triage/loading.py).
    PRELOAD_ENCODER: bool = True
    RANKING_WEIGHTS: str = ""

    SERVICE_NAME: str = "Irritants"
    SERVICE_TAGLINE: str = "Signaler ce qui bloque dans vos démarches administratives"
    TESTING: bool = False
    DEBUG: bool = False


class DevelopmentConfig(BaseConfig):
    """Local development: SQLite, readable errors."""


class TestingConfig(BaseConfig):
    """Tests: per-test database, deterministic anti-abuse settings."""

    TESTING = True
    # An explicit, public secret: tests must not depend on (nor write) a developer's instance folder.
    SECRET_KEY = "testing-secret-not-for-production"  # noqa: S105
    JOBS_MODE = "inline"
    # Fast and model-free by default in tests; clustering tests ask for embeddings explicitly.
    CLUSTERING_ENCODER = "tfidf"
    # Tests that need the model load it (or a stand-in) themselves.
    PRELOAD_ENCODER = False
    FORM_MIN_FILL_SECONDS = 0.0
    RATELIMIT_ENABLED = False
    # Each test app counts alone (a test that switches limits on must not share counters with another).
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(BaseConfig):
    """Production: refuses to start without a real secret."""

    FORCE_HTTPS = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# IRRITANTS_<NAME> environment variables override these keys, converted to the type of the default.
_ENV_KEYS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_ECHO": _bool,
    "REDIS_URL": str,
    "RATELIMIT_ENABLED": _bool,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "INSTANCE_PATH": str,
    "RATELIMIT_SUBMIT": str,
    "RATELIMIT_READ": str,
    "FORM_MIN_FILL_SECONDS": float,
    "PROXY_FIX_COUNT": int,
    "FORCE_HTTPS": _bool,
    "SESSION_COOKIE_SECURE": _bool,
    "CONTACT_RETENTION_DAYS": int,
    "PERSONAL_DATA_RETENTION_MONTHS": int,
    "ABUSE_FLAG_THRESHOLD": int,
    "SOURCE_RETENTION_DAYS": int,
    "RATELIMIT_SUPPORT": str,
    "RATELIMIT_FLAG": str,
    "UNSIGNED_SUPPORTER_SUNSET": dt.date.fromisoformat,
    "JOBS_MODE": str,
    "CLUSTERING_ENCODER": str,
    "CLUSTERING_SEED": int,
    "EMBEDDING_THREADS": int,
    "PRELOAD_ENCODER": _bool,
    "RANKING_WEIGHTS": str,
    "AGENT_IDLE_MINUTES": int,
    "AGENT_SESSION_HOURS": int,
    "LOGIN_MAX_FAILURES": int,
    "LOGIN_LOCK_MINUTES": int,
    "LOGIN_ACCOUNT_MAX_FAILURES": int,
    "RATELIMIT_LOGIN": str,
    "API_TOKEN_DEFAULT_DAYS": int,
    "PROCONNECT_ISSUER": str,
    "PROCONNECT_CLIENT_ID": str,
    "PROCONNECT_CLIENT_SECRET": str,
    "PROCONNECT_SCOPES": str,
}


class ConfigurationError(RuntimeError):
    """The configuration is unusable (e.g. production without a secret)."""


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings for IRRITANTS_ENV, with IRRITANTS_* and explicit overrides applied."""
    env_name = os.environ.get("IRRITANTS_ENV", "development")
    if overrides and "ENV" in overrides:
        env_name = overrides["ENV"]
    cls = CONFIGS.get(env_name)
    if cls is None:
        raise ConfigurationError(f"IRRITANTS_ENV inconnu : {env_name!r}")
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    settings["ENV"] = env_name
    for key, cast in _ENV_KEYS.items():
        raw = os.environ.get(f"IRRITANTS_{key}")
        if raw is not None and raw != "":
            settings[key] = cast(raw)
    if settings.get("REDIS_URL") and "IRRITANTS_JOBS_MODE" not in os.environ and env_name != "testing":
        settings["JOBS_MODE"] = "worker"
    if overrides:
        settings.update(overrides)
    explicit = overrides or {}
    if not settings["RATELIMIT_STORAGE_URI"]:
        counters = Path(settings["INSTANCE_PATH"]).resolve() / RATELIMIT_FILE_NAME
        settings["RATELIMIT_STORAGE_URI"] = settings.get("REDIS_URL") or f"irritants+sqlite://{counters}"
    # One source for the absolute session length; the remember cookie (never set) is never looser.
    if "PERMANENT_SESSION_LIFETIME" not in explicit:
        settings["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings["AGENT_SESSION_HOURS"])
    settings["REMEMBER_COOKIE_DURATION"] = settings["PERMANENT_SESSION_LIFETIME"]
    if "REMEMBER_COOKIE_SECURE" not in explicit:
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    if env_name == "production" and settings["SECRET_KEY"] in ("", INSECURE_DEV_SECRET):
        raise ConfigurationError("IRRITANTS_SECRET_KEY doit être défini en production.")
    if settings["SECRET_KEY"] in ("", INSECURE_DEV_SECRET):
        # Development without IRRITANTS_SECRET_KEY: a secret of this machine, never a value anyone can read in the
        # code (a cookie signed with the published constant would open every back-office page).
        settings["SECRET_KEY"] = instance_secret(Path(settings["INSTANCE_PATH"]))
    return settings


def instance_secret(folder: Path) -> str:
    """The secret kept in ``folder/secret_key`` (mode 600), generated on first use.

    Several processes may start at once (gunicorn workers): the file is written whole under a private name, then
    linked into place, which fails if another process got there first; everyone then reads the same file.
    """
    path = folder / SECRET_FILE_NAME
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".{SECRET_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, secrets.token_urlsafe(48).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process won the race: its secret is the one
        finally:
            draft.unlink()
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise ConfigurationError(f"Le secret de développement {path} est trop court : supprimez ce fichier.")
    return secret


def test_database_url() -> str | None:
    """The database URL the test-suite should use (IRRITANTS_TEST_DATABASE_URL), if any."""
    return os.environ.get("IRRITANTS_TEST_DATABASE_URL") or None


@dataclass(frozen=True)
class WebServer:
    """How many gunicorn processes and threads serve the web app (read by ``gunicorn.conf.py``)."""

    workers: int
    threads: int
    reason: str


def web_server(environ: Mapping[str, str] | None = None) -> WebServer:
    """The worker model for the configured database; ``WORKERS`` and ``THREADS`` override it.

    SQLite has one writer at a time: two single-threaded processes (sync workers), whose writers take turns through
    the database's turn file (irritants.db.WriterQueue), keep the tail latency of writes that of a bare app; threads
    in a process interleave their requests under the interpreter lock and stretch it. PostgreSQL takes concurrent
    writers and waits on the network: two processes of four threads. Rate-limit counters are shared by all
    processes (Redis, or the instance's counters file), so any number of workers keeps the limits exact — except
    ``memory://`` counters, which count per process and are refused with more than one worker.
    """
    env = os.environ if environ is None else environ
    url = env.get("IRRITANTS_DATABASE_URL") or BaseConfig.DATABASE_URL
    if url.startswith("sqlite"):
        workers, threads, reason = 2, 1, "SQLite : deux processus à un fil, qui écrivent chacun à leur tour"
    else:
        workers, threads, reason = 2, 4, "PostgreSQL : deux processus de quatre fils d'exécution"
    workers = int(env.get("WORKERS") or workers)
    threads = int(env.get("THREADS") or threads)
    if workers < 1 or threads < 1:
        raise ConfigurationError("WORKERS et THREADS doivent valoir au moins 1.")
    if workers > 1 and env.get("IRRITANTS_RATELIMIT_STORAGE_URI", "").startswith("memory://"):
        raise ConfigurationError(
            "IRRITANTS_RATELIMIT_STORAGE_URI=memory:// compte par processus : avec plusieurs processus (WORKERS), "
            "les limites seraient multipliées. Laissez la valeur par défaut (fichier de compteurs partagé) ou Redis."
        )
    return WebServer(workers, threads, reason)
