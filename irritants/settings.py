"""Typed settings per concern, built once at boot from the checked configuration and passed to services.

A service takes the one frozen object it needs as an argument (``ranking: RankingSettings``…), never the whole
config mapping nor a value hidden in ``session.info``: a command or a job then behaves exactly as a request does.
Views, commands and jobs fetch them with ``settings_of(app)``. They are read from ``app.config`` when the app is
built, after ``irritants.config.load_config`` has parsed and checked every value: changing ``app.config`` later
does not change them (pass overrides to ``create_app`` instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from irritants.config import ClusteringEncoder
from irritants.ranking import DEFAULT_WEIGHTS, Weights

EXTENSION_KEY = "irritants.settings"


@dataclass(frozen=True)
class ClusteringSettings:
    """How report texts become vectors and clusters (CLUSTERING_ENCODER, CLUSTERING_SEED, EMBEDDING_THREADS)."""

    encoder: ClusteringEncoder
    seed: int
    embedding_threads: int
    """OpenMP threads of the embedding model per process (0: the library's default, all cores)."""


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


@dataclass(frozen=True)
class Settings:
    """The per-concern settings of one application."""

    clustering: ClusteringSettings
    ranking: RankingSettings
    login: LoginSettings

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The objects for a configuration already checked by ``load_config``."""
        return cls(
            clustering=ClusteringSettings(
                encoder=config["CLUSTERING_ENCODER"],
                seed=config["CLUSTERING_SEED"],
                embedding_threads=config["EMBEDDING_THREADS"],
            ),
            ranking=RankingSettings(weights=config["RANKING_WEIGHTS"]),
            login=LoginSettings(
                max_failures=config["LOGIN_MAX_FAILURES"],
                account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
                max_delay=dt.timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
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
