"""Loading the settings at boot: the environment class, ``IRRITANTS_*`` variables parsed by their declared type,
explicit overrides, the checks that stop a start with a ``ConfigurationError`` naming the variable, and the instance
folder's generated development secret."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from irritants.config.declared import (
    CONFIGS,
    ENV_PREFIX,
    INSECURE_DEV_SECRET,
    METRICS_TOKEN_MIN_LENGTH,
    MULTIPROC_VARIABLE,
    RATELIMIT_FILE_NAME,
    REDIS_SCHEMES,
    REDIS_TIMEOUTS,
    SECRET_FILE_NAME,
    SQLITE_FILE_NAME,
    ConfigurationError,
    DevelopmentConfig,
    declarations,
    read_setting,
)
from irritants.setting_types import check, parse
from irritants.settings import JobsMode, parse_smtp_url

# Cookies set with Path=/ and sent over HTTPS only: a "__Host-" name makes browsers refuse the cookie unless it is
# Secure, has Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can plant or replace it
# (ASVS 3.3.1, 3.3.3). The device cookie lives under /agents: "__Secure-" (Secure required, path free).
_HOST_COOKIES = ("SESSION_COOKIE_NAME", "PERSON_COOKIE_NAME", "REMEMBER_COOKIE_NAME")
_SECURE_COOKIES = ("DEVICE_COOKIE_NAME",)


def cookie_names(settings: Mapping[str, Any], explicit: Mapping[str, Any]) -> dict[str, str]:
    """The cookies' names: prefixed ("__Host-", "__Secure-") when they are Secure; as given over plain http."""
    if not settings["SESSION_COOKIE_SECURE"]:
        return {}
    names = {}
    for name in (*_HOST_COOKIES, *_SECURE_COOKIES):
        plain = settings[name]
        if name not in explicit and not plain.startswith(("__Host-", "__Secure-")):
            names[name] = ("__Host-" if name in _HOST_COOKIES else "__Secure-") + plain
    return names


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the checked settings for IRRITANTS_ENV, with IRRITANTS_* and explicit overrides applied."""
    env_name = os.environ.get("IRRITANTS_ENV", "development")
    if overrides and "ENV" in overrides:
        env_name = overrides["ENV"]
    cls = CONFIGS.get(env_name)
    if cls is None:
        raise ConfigurationError(f"IRRITANTS_ENV inconnu : {env_name!r}")
    declared = declarations()
    settings = {name: read_setting(name, how, check, getattr(cls, name)) for name, how in declared.items()}
    settings["ENV"] = env_name
    for name, how in declared.items():
        raw = os.environ.get(ENV_PREFIX + name)
        if how.from_environment and raw is not None and raw != "":
            settings[name] = read_setting(ENV_PREFIX + name, how, parse, raw)
    if settings.get("REDIS_URL") and f"{ENV_PREFIX}JOBS_MODE" not in os.environ and env_name != "testing":
        settings["JOBS_MODE"] = JobsMode.WORKER
    explicit = overrides or {}
    for name, value in explicit.items():
        # Keys that are not settings of this application (SERVER_NAME…) go to Flask as they are.
        settings[name] = read_setting(name, declared[name], check, value) if name in declared else value
    instance = Path(settings["INSTANCE_PATH"]).resolve()
    settings["INSTANCE_PATH"] = str(instance)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / SQLITE_FILE_NAME}"
    if not settings["RATELIMIT_STORAGE_URI"]:
        counters = instance / RATELIMIT_FILE_NAME
        settings["RATELIMIT_STORAGE_URI"] = settings.get("REDIS_URL") or f"irritants+sqlite://{counters}"
    if settings["RATELIMIT_STORAGE_URI"].startswith(REDIS_SCHEMES) and "RATELIMIT_STORAGE_OPTIONS" not in explicit:
        # Without timeouts, a Redis that stops answering (rather than refusing) would hold every request.
        settings["RATELIMIT_STORAGE_OPTIONS"] = dict(REDIS_TIMEOUTS)
    # One source for the absolute session length; the remember cookie (never set) is never looser.
    if "PERMANENT_SESSION_LIFETIME" not in explicit:
        settings["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings["AGENT_SESSION_HOURS"])
    settings["REMEMBER_COOKIE_DURATION"] = settings["PERMANENT_SESSION_LIFETIME"]
    if "REMEMBER_COOKIE_SECURE" not in explicit:
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    settings.update(cookie_names(settings, explicit))
    if "METRICS_MULTIPROC_DIR" not in explicit:
        settings["METRICS_MULTIPROC_DIR"] = os.environ.get(MULTIPROC_VARIABLE) or None
    token = settings["METRICS_TOKEN"]
    if token is not None and len(token.strip()) < METRICS_TOKEN_MIN_LENGTH:
        raise ConfigurationError(
            f"{ENV_PREFIX}METRICS_TOKEN trop court : {METRICS_TOKEN_MIN_LENGTH} caractères au moins "
            "(par exemple : python3 -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    _check_mail(settings, env_name)
    if env_name == "production" and settings["SECRET_KEY"] in ("", INSECURE_DEV_SECRET):
        raise ConfigurationError("IRRITANTS_SECRET_KEY doit être défini en production.")
    if settings["SECRET_KEY"] in ("", INSECURE_DEV_SECRET):
        # Development without IRRITANTS_SECRET_KEY: a secret of this machine, never a value anyone can read in the
        # code (a cookie signed with the published constant would open every back-office page).
        settings["SECRET_KEY"] = instance_secret(Path(settings["INSTANCE_PATH"]))
    return settings


def _check_mail(settings: dict[str, Any], env_name: str) -> None:
    """The SMTP URL must parse (the message never repeats it: it may hold a password); production mail needs the
    public address that links in messages point to."""
    if settings["SMTP_URL"]:
        try:
            parse_smtp_url(settings["SMTP_URL"])
        except ValueError as exc:
            raise ConfigurationError(f"{ENV_PREFIX}SMTP_URL invalide : {exc}") from None
    if settings["PUBLIC_URL"] is None:
        if env_name == "production" and settings["SMTP_URL"]:
            raise ConfigurationError(f"{ENV_PREFIX}PUBLIC_URL doit être défini pour envoyer des messages (liens).")
        settings["PUBLIC_URL"] = DevelopmentConfig.PUBLIC_URL
    elif not settings["PUBLIC_URL"].startswith(("http://", "https://")):
        raise ConfigurationError(f"{ENV_PREFIX}PUBLIC_URL invalide : adresse http(s)://… attendue")


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
