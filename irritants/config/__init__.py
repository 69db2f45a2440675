"""Settings: each declared once, typed; ``IRRITANTS_<NAME>`` overrides parsed by that type and checked at boot.

The only package that reads ``os.environ``, in three rooms: ``declared`` (every setting with its type and default,
and each environment's class), ``loading`` (``load_config``: the environment's values parsed and checked, a value
that does not fit stopping the start with a ``ConfigurationError`` naming the variable; the development secret) and
``server`` (what gunicorn's master reads before any app exists: log format, metrics folder, worker model). Services
get the typed per-concern objects of ``irritants.settings``, never this mapping. Import from here.
"""

from __future__ import annotations

from irritants.config.declared import (
    CONFIGS,
    ENV_PREFIX,
    INSECURE_DEV_SECRET,
    INSTANCE_PATH,
    METRICS_TOKEN_MIN_LENGTH,
    MULTIPROC_VARIABLE,
    PROJECT_ROOT,
    RATELIMIT_FILE_NAME,
    REDIS_SCHEMES,
    REDIS_TIMEOUTS,
    SECRET_FILE_NAME,
    SQLITE_FILE_NAME,
    BaseConfig,
    ConfigurationError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    declarations,
    default_instance_path,
    read_setting,
)
from irritants.config.loading import (
    cookie_names,
    instance_secret,
    load_config,
    test_database_url,
)
from irritants.config.server import (
    METRICS_DIR_PREFIX,
    WebServer,
    log_settings,
    made_for_this_run,
    prepare_gunicorn_environment,
    web_server,
)

__all__ = [
    "CONFIGS",
    "ENV_PREFIX",
    "INSECURE_DEV_SECRET",
    "INSTANCE_PATH",
    "METRICS_DIR_PREFIX",
    "METRICS_TOKEN_MIN_LENGTH",
    "MULTIPROC_VARIABLE",
    "PROJECT_ROOT",
    "RATELIMIT_FILE_NAME",
    "REDIS_SCHEMES",
    "REDIS_TIMEOUTS",
    "SECRET_FILE_NAME",
    "SQLITE_FILE_NAME",
    "BaseConfig",
    "ConfigurationError",
    "DevelopmentConfig",
    "ProductionConfig",
    "TestingConfig",
    "WebServer",
    "cookie_names",
    "declarations",
    "default_instance_path",
    "instance_secret",
    "load_config",
    "log_settings",
    "made_for_this_run",
    "prepare_gunicorn_environment",
    "read_setting",
    "test_database_url",
    "web_server",
]
