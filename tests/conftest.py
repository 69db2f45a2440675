"""Shared fixtures: a migrated database per test session (SQLite file or a fresh PostgreSQL database),
an app per test, and plain builders for data."""

from __future__ import annotations

import gc
import logging
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from irritants import create_app, jobs, migrate
from irritants.config import test_database_url
from irritants.db import get_db
from irritants.referential import cache as reference_cache
from irritants.referential.services import load_reference_data
from irritants.settings import RankingSettings
from tests.compiled_templates import share_compiled_templates
from tests.fast_passwords import production_hashing, use_cheapest_hashing
from tests.url_builders import share_compiled_builders

TEST_SECRET = "test-secret-key-for-the-suite"
#: What test apps rescore with (no RANKING_WEIGHTS: the default weights), for decisions called without a request.
RANKING = RankingSettings()


def pytest_configure(config: pytest.Config) -> None:
    share_compiled_builders()  # most tests build an app: its ~200 rules are compiled once per process
    share_compiled_templates()  # and open pages: each template is compiled once per process
    use_cheapest_hashing()  # passwords at argon2's test parameters (tests/fast_passwords.py)
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope"):
        config.option.loadscopereorder = False  # the test processes order the modules (pytest_collection_modifyitems)
    if config.getoption("numprocesses", default=None):
        # One test process per core (-n): OpenMP (the embedding model, scikit-learn) and OpenBLAS pools of one thread
        # each. A pool per core in each process had threads spin-waiting for others descheduled by the other
        # processes: twice the CPU time for the same vectors. Set before the test processes start, they inherit it
        # (and their gunicorn servers too); a value already set is kept.
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(variable, "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a test process of ``-n N --dist loadfile``, the modules that start servers or browsers (marked ``slow``)
    come first, then the others by number of tests: the longest work is handed out first, so the run does not end on
    one process finishing a long module while the other waits. xdist keeps this order (pytest_configure turns its
    ``loadscopereorder`` off)."""
    if not hasattr(config, "workerinput"):
        return  # a run in one process keeps the collection's order
    module = {id(item): item.nodeid.split("::", 1)[0] for item in items}
    sizes = Counter(module.values())
    slow = {module[id(item)] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: (module[id(item)] not in slow, -sizes[module[id(item)]]))  # stable: modules stay whole


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, test items, parametrize ids) lives to the end of the run: moved out of
    the garbage collector's reach, later collections no longer walk it again and again."""
    gc.collect()
    gc.freeze()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--contract-examples",
        type=int,
        default=10,
        help="Requests schemathesis generates per API operation and caller (tests/web/test_api_contract.py)",
    )


@pytest.fixture(autouse=True)
def _root_logging_kept() -> Iterator[None]:
    """An app built outside the testing environment configures the process's logging (irritants.logs.configure):
    the next test gets the root logger as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
def production_password_hashing() -> Iterator[None]:
    """Passwords hashed and checked at the service's own argon2 parameters during this test."""
    with production_hashing():
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the référentiel, private to this test session."""
    base = test_database_url()
    if base is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'irritants-test.sqlite3'}"
        _prepare(url)
        yield url
        return
    url, drop = _fresh_postgres_database(base)
    try:
        _prepare(url)
        yield url
    finally:
        drop()


def _prepare(url: str) -> None:
    migrate.upgrade(url)
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context(), get_db(app).session_scope() as session:
        load_reference_data(session)
        session.commit()
    get_db(app).dispose()


def _fresh_postgres_database(base: str) -> tuple[str, Any]:
    """Create a uniquely named database next to ``base`` so concurrent runs never share state."""
    parsed = make_url(base)
    name = f"{parsed.database}_irr_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database need not wait for the disk at each commit (what a crash could lose is the last
        # few commits, never consistency); the server and its other databases keep their own setting.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return parsed.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where test apps without an SMTP server write their mails (never a developer's instance folder)."""
    return str(tmp_path_factory.mktemp("mails"))


def app_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration of a test app on the test database, with overrides."""
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "SERVER_NAME": "irritants.test",
        **overrides,
    }


@pytest.fixture
def make_app(database_url: str, mail_dir: str) -> Iterator[Any]:
    """Factory of apps on the test database, with config overrides; cleans reports after the test."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app(app_config(database_url, **{"MAIL_DIR": mail_dir, **overrides}))
        apps.append(app)
        return app

    yield factory
    if apps:
        for app in apps:
            jobs.stop(app)  # a background thread must not write while the tables are cleaned nor outlive the engine
        clean_database(apps[0])
    for app in apps:
        get_db(app).dispose()


def module_app(database_url: str, tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Iterator[Flask]:
    """Body of a module-scoped app fixture (``yield from module_app(...)``): one app for a module whose tests share
    it, with an instance folder of its own; its background runner stopped, the tables cleaned and its engine closed
    after the module."""
    instance = str(tmp_path_factory.mktemp("instance"))
    app = create_app(app_config(database_url, INSTANCE_PATH=instance, **overrides))
    yield app
    jobs.stop(app)
    clean_database(app)
    get_db(app).dispose()


def clean_database(app: Flask) -> None:
    """Delete what tests write (every table but the référentiel's), and forget the référentiel's lists kept by this
    process (the next test reads them again: what it sees depends on no earlier test)."""
    reference_cache.invalidate()
    with get_db(app).engine.begin() as conn:
        for table in (
            "partner_requests",
            "partners",
            "report_days",
            "cluster_days",
            "territory_days",
            "outbox_attempts",
            "export_requests",
            "background_jobs",
            "outbox_messages",
            "periodic_runs",
            "password_resets",
            "digest_subscriptions",
            "backlog_item_changes",
            "backlog_item_clusters",
            "backlog_items",
            "sprints",
            "login_throttles",
            "events",
            "resolution_answers",
            "abuse_flags",
            "pending_notices",
            "support_contacts",
            "supports",
            "report_messages",
            "report_vectors",
            "report_contacts",
            "reports",
            "reply_templates",
            "dismissed_pairs",
            "clusters",
            "encoder_states",
            "encoder_means",
            "api_tokens",
            "webhook_endpoints",
            "squad_members",
            "users",
            "squads",
        ):
            conn.execute(text(f"DELETE FROM {table}"))


_clean = clean_database  # the name tests imported it by


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A write session on the test database (the test commits when it needs to)."""
    with app.app_context(), get_db(app).session_scope() as db_session:
        yield db_session


def report_payload(**overrides: Any) -> dict[str, Any]:
    """A valid API payload for a report."""
    payload: dict[str, Any] = {
        "description": "Mon dossier de RSA est bloqué depuis trois mois et personne ne répond au téléphone.",
        "administration": "caf",
        "territory": "59",
        "channel": "telephone",
        "severity": "rupture_de_droits",
    }
    payload.update(overrides)
    return payload


# --- agents and back-office data --------------------------------------------------------------------------

PASSWORD = "correct horse battery staple 42"


def make_squad(session: Session, name: str = "Rendez-vous préfecture") -> Any:
    """A squad (start-up d'État), flushed."""
    from irritants.squads.models import Squad

    slug = "-".join(name.lower().split())[:100]
    squad = Squad(name=name, slug=slug)
    session.add(squad)
    session.flush()
    return squad


def make_user(session: Session, *roles: str, squads: Any = (), email: str | None = None, password: str | None = None):
    """An active agent with these roles and squad memberships, flushed."""
    from irritants.auth.models import User
    from irritants.squads.models import SquadMember

    user = User(email=email or f"agent-{secrets.token_hex(4)}@beta.gouv.fr", name="Agent Test", roles=list(roles))
    if password is not None:
        from irritants.auth.passwords import hash_password

        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    for squad in squads:
        session.add(SquadMember(squad_id=squad.id, user_id=user.id))
    session.flush()
    return user


def make_report(session: Session, *, cluster: Any = None, **fields: Any) -> Any:
    """A stored report (valid defaults, API-style slugs), optionally in a cluster, flushed."""
    from irritants.intake.models import Report, Source
    from irritants.intake.services import submit_report

    data = {**report_payload(), **{k: v for k, v in fields.items() if k in report_payload()}}
    submission = submit_report(session, data, source=Source.API, secret_key=TEST_SECRET)
    report = session.get(Report, submission.report_id)
    for key, value in fields.items():
        if key not in data:
            setattr(report, key, value)
    if cluster is not None:
        report.cluster_id = cluster.id
    session.flush()
    return report


def make_cluster(
    session: Session, label: str = "Rendez-vous introuvables en préfecture", *, reports: int = 3, **fields
):
    """A cluster with ``reports`` reports in it (counts refreshed), flushed."""
    from irritants.clusters.models import Cluster

    cluster = Cluster(label=label, keywords=label.lower().split()[:4], **fields)
    session.add(cluster)
    session.flush()
    for i in range(reports):
        make_report(
            session,
            cluster=cluster,
            description=f"{label} : cela dure depuis {i + 2} semaines et personne ne répond.",
            territory=f"{10 + i:02d}",
        )
    cluster.size = reports
    cluster.people = reports
    cluster.territories = reports
    session.flush()
    return cluster


@pytest.fixture
def login(app: Flask, client: FlaskClient) -> Any:
    """``login(*roles, squads=())``: create an agent, sign the test client in as them, return the agent."""

    def _login(*roles: str, squads: Any = (), on: FlaskClient | None = None) -> Any:
        with app.app_context(), get_db(app).session_scope() as s:
            user = make_user(s, *roles, squads=[s.merge(q) for q in squads])
            s.commit()
        sign_in(on or client, user)
        return user

    return _login


def sign_in(client: FlaskClient, user: Any) -> None:
    """Put an agent's login session in the test client's cookie (what a successful login does)."""
    import time

    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["login_at"] = sess["seen_at"] = time.time()


@pytest.fixture(scope="session")
def smtp() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 for the whole test session: ``smtp.recorder`` (messages, ``refuse``) and
    ``smtp.url`` (give it as ``SMTP_URL``). Each test clears the recorder through ``smtp_recorder``."""
    from types import SimpleNamespace

    from tests.smtp_server import smtp_server

    with smtp_server() as (recorder, url):
        yield SimpleNamespace(recorder=recorder, url=url)


@pytest.fixture
def smtp_recorder(smtp: Any) -> Any:
    """The session's SMTP server, emptied for this test."""
    smtp.recorder.clear()
    return smtp.recorder
