"""Typed settings: the per-concern objects built once at boot from the checked configuration (irritants/config/)
and passed to services. The types a setting may be declared with and how its text is read are in
``irritants/setting_types.py``.

A service takes the one frozen object it needs as an argument (``ranking: RankingSettings``…), never the whole
config mapping nor a value hidden in ``session.info``: a command or a job then behaves exactly as a request does.
Views, commands and jobs fetch them with ``settings_of(app)``. They are read from ``app.config`` when the app is
built, after ``irritants.config.load_config`` has parsed and checked every value: changing ``app.config`` later
does not change them (pass overrides to ``create_app`` instead).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from irritants.ranking import DEFAULT_WEIGHTS, Weights
from irritants.setting_types import TRUE_WORDS

EXTENSION_KEY = "irritants.settings"


class JobsMode(enum.StrEnum):
    """How new reports are clustered after their commit (irritants/jobs.py)."""

    THREAD = "thread"
    """A low-priority thread inside each web process (embedded default)."""
    WORKER = "worker"
    """Separate ``irritants worker`` processes, woken through Redis when it is configured."""
    INLINE = "inline"
    """In the request, right after the commit (tests)."""


class _AnyCase(enum.StrEnum):
    @classmethod
    def _missing_(cls, value: object) -> enum.Enum | None:
        # IRRITANTS_LOG_LEVEL=INFO or info, IRRITANTS_LOG_FORMAT=JSON or json.
        text = str(value).strip().lower()
        return next((member for member in cls if member.value == text), None)


class LogFormat(_AnyCase):
    """How log lines are written (irritants/logs.py)."""

    JSON = "json"
    """One JSON object per line: what a log collector reads (production, gunicorn)."""
    TEXT = "text"
    """Plain lines for a developer's terminal."""


class LogLevel(_AnyCase):
    """The least level of the lines kept."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ClusteringEncoder(enum.StrEnum):
    """Text encoder for clustering."""

    AUTO = "auto"
    """Sentence embeddings when the model is installed, else TF-IDF."""
    EMBEDDING = "embedding"
    TFIDF = "tfidf"


# --- what services get --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusteringSettings:
    """How report texts become vectors and clusters (CLUSTERING_ENCODER, CLUSTERING_SEED, EMBEDDING_THREADS,
    EMBEDDING_PROCESSES)."""

    encoder: ClusteringEncoder
    seed: int
    embedding_threads: int
    """OpenMP threads of the embedding model per process (0: the library's default, all cores)."""
    embedding_processes: int = 0
    """Processes computing vectors in bulk, one thread each (0: one per core for a thousand texts or more)."""


@dataclass(frozen=True)
class RankingSettings:
    """The weights every re-scoring of an irritant uses (RANKING_WEIGHTS)."""

    weights: Weights = DEFAULT_WEIGHTS


@dataclass(frozen=True)
class LoginSettings:
    """Sign-in throttling (LOGIN_MAX_FAILURES, LOGIN_ACCOUNT_MAX_FAILURES, LOGIN_LOCK_MINUTES)."""

    max_failures: int
    account_max_failures: int
    max_delay: dt.timedelta


SMTP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes (IRRITANTS_SMTP_URL: ``smtp://user:password@host:port``, ``smtps://…``, ``?starttls=1``)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False
    """SMTPS: TLS from the first byte (``smtps://``, port 465 by default)."""
    starttls: bool = False
    """STARTTLS on a plain connection (``?starttls=1``)."""
    timeout: float = SMTP_TIMEOUT_SECONDS

    def __str__(self) -> str:
        # What logs and messages may show: never the password.
        scheme = "smtps" if self.ssl else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}{'?starttls=1' if self.starttls else ''}"


def parse_smtp_url(url: str) -> SmtpServer:
    """The SMTP server of an URL; ValueError in French (without the password) when it does not fit."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("adresse smtp://… ou smtps://… attendue")
    if not parts.hostname:
        raise ValueError("nom du serveur SMTP manquant (smtp://hote:port)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("port SMTP invalide") from None
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"paramètre inconnu : {', '.join(sorted(unknown))} (seuls starttls et timeout)")
    starttls = query.get("starttls", ["0"])[-1].lower() in TRUE_WORDS
    if starttls and parts.scheme == "smtps":
        raise ValueError("starttls n’a pas de sens avec smtps:// (déjà chiffré)")
    try:
        timeout = float(query.get("timeout", [SMTP_TIMEOUT_SECONDS])[-1])
    except ValueError:
        raise ValueError("timeout : nombre de secondes attendu") from None
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        ssl=parts.scheme == "smtps",
        starttls=starttls,
        timeout=timeout,
    )


@dataclass(frozen=True)
class OutboxSettings:
    """How messages leave (SMTP_URL, MAIL_FROM, MAIL_DIR, MAIL_GROUP_MINUTES, PUBLIC_URL)."""

    smtp: SmtpServer | None
    """None: mails are written as ``.eml`` files into ``mail_dir`` (development)."""
    mail_from: str
    mail_dir: Path
    group_minutes: int
    """Status messages to one address within this many minutes go out as one."""
    public_url: str
    """Absolute base of the links in messages, without a trailing slash."""


@dataclass(frozen=True)
class FeedbackSettings:
    """When the citizens' answers to « Est-ce résolu pour vous ? » flag a fixed irritant as unresolved for them
    (UNRESOLVED_SHARE, UNRESOLVED_MIN_ANSWERS)."""

    unresolved_share: float = 0.3
    """Share of « non » among the answers from which the irritant is flagged (reached counts)."""
    unresolved_min_answers: int = 5
    """Answers needed before any rate is shown or any flag raised."""


@dataclass(frozen=True)
class WebhookSettings:
    """Deliveries to squads' own tools (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_TIMEOUT_SECONDS), and the key that seals the
    endpoints' signing secrets at rest (derived from SECRET_KEY: changing it makes them unreadable)."""

    allow_private: bool = False
    timeout: float = 5.0
    sealing_key: bytes = field(default=b"", repr=False)

    @staticmethod
    def derive_key(secret_key: str) -> bytes:
        """The 32-byte sealing key for this application's secret (one purpose, one key)."""
        return hmac.new(secret_key.encode("utf-8"), b"irritants webhook secrets v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Open311Settings:
    """What the Open311 door's discovery says (OPEN311_CONTACT, OPEN311_KEY_SERVICE)."""

    contact: str = ""
    key_service: str = ""


@dataclass(frozen=True)
class FixEffectSettings:
    """The fix effect and the regression alarm (FIX_EFFECT_WEEKS: weeks compared on each side of a fix day)."""

    weeks: int = 8


@dataclass(frozen=True)
class ExportSettings:
    """Exports (EXPORT_STREAM_MAX: the most rows streamed at once; EXPORT_KEEP_DAYS: how long a file built in the
    background is kept, in ``directory``, <INSTANCE_PATH>/exports)."""

    stream_max: int = 10_000
    keep_days: int = 7
    directory: Path = Path("exports")


@dataclass(frozen=True)
class DashboardSettings:
    """The managers' dashboard's cache (DASHBOARD_CACHE_SECONDS; 0: none), in Redis when REDIS_URL is set."""

    cache_seconds: int = 60
    redis_url: str | None = None


@dataclass(frozen=True)
class LogSettings:
    """How the process writes its log lines (LOG_FORMAT, LOG_LEVEL)."""

    format: LogFormat = LogFormat.TEXT
    level: LogLevel = LogLevel.INFO


@dataclass(frozen=True)
class ErrorReportSettings:
    """Where unexpected errors are reported (SENTRY_DSN: none when unset; ENV names the environment)."""

    dsn: str | None = field(default=None, repr=False)
    environment: str = "development"


@dataclass(frozen=True)
class MonitoringSettings:
    """/metrics (METRICS_TOKEN; docs/monitoring.md): who may read it, and where the processes of one gunicorn run
    keep their counters (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py)."""

    token: str | None = field(default=None, repr=False)
    """The scraper's bearer token; None: no /metrics route and nothing measured."""
    multiprocess_dir: str | None = None
    """The folder of prometheus_client's multiprocess mode; None: this process counts alone."""

    @property
    def enabled(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class Settings:
    """The per-concern settings of one application."""

    clustering: ClusteringSettings
    ranking: RankingSettings
    login: LoginSettings
    webhooks: WebhookSettings
    outbox: OutboxSettings
    feedback: FeedbackSettings = FeedbackSettings()
    fix_effect: FixEffectSettings = FixEffectSettings()
    exports: ExportSettings = ExportSettings()
    dashboard: DashboardSettings = DashboardSettings()
    open311: Open311Settings = Open311Settings()
    logging: LogSettings = LogSettings()
    error_report: ErrorReportSettings = ErrorReportSettings()
    monitoring: MonitoringSettings = MonitoringSettings()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The objects for a configuration already checked by ``load_config``."""
        return cls(
            clustering=ClusteringSettings(
                encoder=config["CLUSTERING_ENCODER"],
                seed=config["CLUSTERING_SEED"],
                embedding_threads=config["EMBEDDING_THREADS"],
                embedding_processes=config["EMBEDDING_PROCESSES"],
            ),
            ranking=RankingSettings(weights=config["RANKING_WEIGHTS"]),
            login=LoginSettings(
                max_failures=config["LOGIN_MAX_FAILURES"],
                account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
                max_delay=dt.timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
            ),
            webhooks=WebhookSettings(
                allow_private=config["WEBHOOK_ALLOW_PRIVATE"],
                timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
                sealing_key=WebhookSettings.derive_key(config["SECRET_KEY"]),
            ),
            outbox=OutboxSettings(
                smtp=parse_smtp_url(config["SMTP_URL"]) if config["SMTP_URL"] else None,
                mail_from=config["MAIL_FROM"],
                mail_dir=Path(config["MAIL_DIR"] or Path(config["INSTANCE_PATH"]) / "mails"),
                group_minutes=config["MAIL_GROUP_MINUTES"],
                public_url=config["PUBLIC_URL"].rstrip("/"),
            ),
            feedback=FeedbackSettings(
                unresolved_share=config["UNRESOLVED_SHARE"],
                unresolved_min_answers=config["UNRESOLVED_MIN_ANSWERS"],
            ),
            fix_effect=FixEffectSettings(weeks=config["FIX_EFFECT_WEEKS"]),
            exports=ExportSettings(
                stream_max=config["EXPORT_STREAM_MAX"],
                keep_days=config["EXPORT_KEEP_DAYS"],
                directory=Path(config["INSTANCE_PATH"]) / "exports",
            ),
            dashboard=DashboardSettings(
                cache_seconds=config["DASHBOARD_CACHE_SECONDS"], redis_url=config["REDIS_URL"] or None
            ),
            open311=Open311Settings(contact=config["OPEN311_CONTACT"], key_service=config["OPEN311_KEY_SERVICE"]),
            logging=LogSettings(format=config["LOG_FORMAT"], level=config["LOG_LEVEL"]),
            error_report=ErrorReportSettings(dsn=config["SENTRY_DSN"] or None, environment=config["ENV"]),
            monitoring=MonitoringSettings(
                token=config["METRICS_TOKEN"].strip() if config["METRICS_TOKEN"] else None,
                multiprocess_dir=config["METRICS_MULTIPROC_DIR"],
            ),
        )


class _App(Protocol):
    # What this module needs of a Flask application (no Flask import: services import these types).
    config: Any
    extensions: dict[str, Any]


def init_app(app: _App) -> None:
    """Build the application's settings objects once, from its checked configuration."""
    app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)


def settings_of(app: _App) -> Settings:
    """The settings objects of an application built by ``create_app``."""
    return app.extensions[EXTENSION_KEY]
