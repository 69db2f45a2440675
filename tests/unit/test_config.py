"""Settings are declared once with their type; IRRITANTS_<NAME> is read by that type and a bad value stops the start
with the variable named."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from irritants import config
from irritants.config import ConfigurationError, load_config
from irritants.ranking import SeverityFactors, Weights
from irritants.settings import (
    ClusteringEncoder,
    ClusteringSettings,
    FeedbackSettings,
    FixEffectSettings,
    JobsMode,
    LoginSettings,
    RankingSettings,
    Settings,
)

# Every variable the service has read so far: none may disappear (deployments set them).
VARIABLES = {
    "SECRET_KEY", "DATABASE_URL", "DATABASE_ECHO", "REDIS_URL", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX", "INSTANCE_PATH", "RATELIMIT_SUBMIT", "RATELIMIT_READ", "FORM_MIN_FILL_SECONDS",
    "PROXY_FIX_COUNT", "FORCE_HTTPS", "SESSION_COOKIE_SECURE", "CONTACT_RETENTION_DAYS",
    "PERSONAL_DATA_RETENTION_MONTHS", "ABUSE_FLAG_THRESHOLD", "SOURCE_RETENTION_DAYS", "RATELIMIT_SUPPORT",
    "RATELIMIT_FLAG", "UNSIGNED_SUPPORTER_SUNSET", "JOBS_MODE", "CLUSTERING_ENCODER", "CLUSTERING_SEED",
    "EMBEDDING_THREADS", "EMBEDDING_PROCESSES", "PRELOAD_ENCODER", "RANKING_WEIGHTS", "AGENT_IDLE_MINUTES",
    "AGENT_SESSION_HOURS",
    "LOGIN_MAX_FAILURES", "LOGIN_LOCK_MINUTES", "LOGIN_ACCOUNT_MAX_FAILURES", "RATELIMIT_LOGIN",
    "RATELIMIT_PASSWORD_RESET", "PASSWORD_RESET_MINUTES",
    "API_TOKEN_DEFAULT_DAYS", "PROCONNECT_ISSUER", "PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET",
    "PROCONNECT_SCOPES", "SMTP_URL", "MAIL_FROM", "MAIL_DIR", "MAIL_GROUP_MINUTES", "PUBLIC_URL",
    "UNRESOLVED_SHARE", "UNRESOLVED_MIN_ANSWERS", "WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_TIMEOUT_SECONDS",
    "RATELIMIT_LOST_LINK", "RATELIMIT_LOST_LINK_ADDRESS", "RATELIMIT_REPORTER_MESSAGE",
    "FIX_EFFECT_WEEKS", "EXPORT_STREAM_MAX", "EXPORT_KEEP_DAYS",
    "DASHBOARD_CACHE_SECONDS",
    "RATELIMIT_PARTNER_SUBMIT", "OPEN311_CONTACT", "OPEN311_KEY_SERVICE",
    "LOG_FORMAT", "LOG_LEVEL", "SENTRY_DSN", "METRICS_TOKEN",
    "DEACTIVATED_AGENT_RETENTION_DAYS",
}  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Each test sets only the variables it is about (a developer's shell may have others)."""
    for name in config.declarations():
        monkeypatch.delenv(f"IRRITANTS_{name}", raising=False)
    monkeypatch.setenv("IRRITANTS_ENV", "testing")


def test_each_setting_is_declared_once_with_a_type_and_every_variable_is_kept():
    declared = config.declarations()
    assert {name for name, how in declared.items() if how.from_environment} == VARIABLES
    for cls in config.CONFIGS.values():
        # An environment may change a default, never add a setting of its own (it would have no type).
        assert {name for name in dir(cls) if name.isupper()} <= set(declared), cls.__name__
    assert not hasattr(config, "_ENV_KEYS")


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("DATABASE_ECHO", "true", True),
        ("DATABASE_ECHO", " ON ", True),
        ("FORCE_HTTPS", "0", False),
        ("FORCE_HTTPS", "no", False),
        ("PRELOAD_ENCODER", "false", False),
        ("PROXY_FIX_COUNT", "2", 2),
        ("CLUSTERING_SEED", " 7 ", 7),
        ("FIX_EFFECT_WEEKS", "12", 12),
        ("DASHBOARD_CACHE_SECONDS", "0", 0),
        ("FORM_MIN_FILL_SECONDS", "1.5", 1.5),
        ("FORM_MIN_FILL_SECONDS", "2", 2.0),
        ("UNRESOLVED_SHARE", "0.25", 0.25),
        ("UNRESOLVED_SHARE", "1", 1.0),
        ("UNRESOLVED_MIN_ANSWERS", "10", 10),
        ("RATELIMIT_SUBMIT", "3 per minute", "3 per minute"),
        ("REDIS_URL", "redis://cache:6379/0", "redis://cache:6379/0"),
        ("UNSIGNED_SUPPORTER_SUNSET", "2027-06-01", dt.date(2027, 6, 1)),
        ("JOBS_MODE", "worker", JobsMode.WORKER),
        ("WEBHOOK_ALLOW_PRIVATE", "1", True),
        ("WEBHOOK_TIMEOUT_SECONDS", "3", 3),
        ("CLUSTERING_ENCODER", "embedding", ClusteringEncoder.EMBEDDING),
        ("RANKING_WEIGHTS", '{"people": 12}', Weights(people=12)),
        (
            "RANKING_WEIGHTS",
            '{"half_life_days": 45, "severity_factors": {"rupture_de_droits": 10}}',
            Weights(half_life_days=45, severity_factors=SeverityFactors(rupture_de_droits=10)),
        ),
    ],
)
def test_a_variable_is_read_by_the_type_of_its_setting(monkeypatch, name, raw, expected):
    monkeypatch.setenv(f"IRRITANTS_{name}", raw)
    value = load_config()[name]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("FORCE_HTTPS", "maybe", "oui/non"),
        ("PROXY_FIX_COUNT", "two", "nombre entier"),
        ("PROXY_FIX_COUNT", "1.5", "nombre entier"),
        ("PROXY_FIX_COUNT", "-1", "au moins 0"),
        ("LOGIN_MAX_FAILURES", "0", "au moins 1"),
        ("WEBHOOK_TIMEOUT_SECONDS", "0", "au moins 1"),
        ("FIX_EFFECT_WEEKS", "0", "au moins 1"),
        ("DASHBOARD_CACHE_SECONDS", "-1", "au moins 0"),
        ("FORM_MIN_FILL_SECONDS", "vite", "nombre"),
        ("FORM_MIN_FILL_SECONDS", "nan", "fini"),
        ("UNRESOLVED_SHARE", "1.5", "au plus 1"),
        ("UNRESOLVED_SHARE", "-0.1", "au moins 0"),
        ("UNRESOLVED_SHARE", "30 %", "nombre"),
        ("UNRESOLVED_MIN_ANSWERS", "0", "au moins 1"),
        ("UNSIGNED_SUPPORTER_SUNSET", "03/03/2027", "AAAA-MM-JJ"),
        ("JOBS_MODE", "cron", "thread, worker, inline"),
        ("CLUSTERING_ENCODER", "bert", "auto, embedding, tfidf"),
        ("RANKING_WEIGHTS", '{"people": 12', "JSON illisible"),
        ("RANKING_WEIGHTS", "[1, 2]", "objet JSON"),
        ("RANKING_WEIGHTS", '{"popularity": 1}', "popularity"),
        ("RANKING_WEIGHTS", '{"people": -1}', "people"),
        ("RANKING_WEIGHTS", '{"severity_factors": {"blocage": 0.5}}', "gravité"),
    ],
)
def test_a_bad_variable_stops_the_start_naming_the_variable(monkeypatch, name, raw, says):
    monkeypatch.setenv(f"IRRITANTS_{name}", raw)
    with pytest.raises(ConfigurationError, match=f"^IRRITANTS_{name} invalide") as caught:
        load_config()
    assert says in str(caught.value)


def test_empty_variables_keep_the_default_and_undeclared_ones_are_not_read(monkeypatch):
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", "")
    monkeypatch.setenv("IRRITANTS_PROXY_FIX_COUNT", "")
    monkeypatch.setenv("IRRITANTS_TESTING", "false")  # not an environment setting: ignored, as before
    settings = load_config()
    assert settings["RANKING_WEIGHTS"] == Weights() and settings["PROXY_FIX_COUNT"] == 0
    assert settings["TESTING"] is True


def test_a_redis_url_makes_workers_the_default_mode_outside_tests(monkeypatch):
    monkeypatch.setenv("IRRITANTS_REDIS_URL", "redis://cache:6379/0")
    assert load_config({"ENV": "production", "SECRET_KEY": "x" * 40})["JOBS_MODE"] is JobsMode.WORKER
    assert load_config()["JOBS_MODE"] is JobsMode.INLINE
    monkeypatch.setenv("IRRITANTS_JOBS_MODE", "thread")
    assert load_config({"ENV": "production", "SECRET_KEY": "x" * 40})["JOBS_MODE"] is JobsMode.THREAD


def test_redis_counters_wait_half_a_second_at_most_and_fall_back_to_each_process(monkeypatch):
    monkeypatch.setenv("IRRITANTS_REDIS_URL", "redis://cache:6379/0")
    settings = load_config({"ENV": "production", "SECRET_KEY": "x" * 40})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    monkeypatch.delenv("IRRITANTS_REDIS_URL")
    assert "RATELIMIT_STORAGE_OPTIONS" not in load_config({"ENV": "production", "SECRET_KEY": "x" * 40})


def test_overrides_are_converted_and_checked_like_variables():
    settings = load_config(
        {
            "JOBS_MODE": "thread",
            "CLUSTERING_ENCODER": ClusteringEncoder.EMBEDDING,
            "RANKING_WEIGHTS": {"people": 3},
            "FORM_MIN_FILL_SECONDS": 30,
            "SERVER_NAME": "irritants.test",  # not a setting of ours: handed to Flask as it is
        }
    )
    assert settings["JOBS_MODE"] is JobsMode.THREAD and settings["CLUSTERING_ENCODER"] is ClusteringEncoder.EMBEDDING
    assert settings["RANKING_WEIGHTS"] == Weights(people=3)
    assert settings["FORM_MIN_FILL_SECONDS"] == 30.0 and isinstance(settings["FORM_MIN_FILL_SECONDS"], float)
    assert settings["SERVER_NAME"] == "irritants.test"
    assert load_config({"RANKING_WEIGHTS": '{"people": 4}'})["RANKING_WEIGHTS"] == Weights(people=4)
    for bad in ({"JOBS_MODE": "cron"}, {"PROXY_FIX_COUNT": True}, {"RANKING_WEIGHTS": {"people": -1}}):
        with pytest.raises(ConfigurationError, match=f"^{next(iter(bad))} invalide"):
            load_config(bad)


def test_the_settings_objects_are_typed_and_frozen():
    settings = Settings.from_config(
        load_config(
            {
                "RANKING_WEIGHTS": '{"people": 12}',
                "LOGIN_LOCK_MINUTES": 20,
                "EMBEDDING_THREADS": 2,
                "UNRESOLVED_SHARE": 0.4,
                "FIX_EFFECT_WEEKS": 6,
            }
        )
    )
    assert settings.fix_effect == FixEffectSettings(weeks=6)
    assert settings.clustering == ClusteringSettings(encoder=ClusteringEncoder.TFIDF, seed=42, embedding_threads=2)
    assert settings.ranking == RankingSettings(weights=Weights(people=12))
    assert settings.login == LoginSettings(max_failures=5, account_max_failures=20, max_delay=dt.timedelta(minutes=20))
    assert settings.feedback == FeedbackSettings(unresolved_share=0.4, unresolved_min_answers=5)
    assert (settings.webhooks.allow_private, settings.webhooks.timeout) == (False, 5.0)
    assert len(settings.webhooks.sealing_key) == 32 and "sealing_key" not in repr(settings.webhooks)
    other = Settings.from_config(load_config({"SECRET_KEY": "another secret for the webhook seals, long enough"}))
    assert other.webhooks.sealing_key != settings.webhooks.sealing_key
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ranking.weights = Weights()  # type: ignore[misc]
    assert RankingSettings().weights == Weights()
