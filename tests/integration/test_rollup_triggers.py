"""The rollup triggers under concurrent writes and arbitrary updates (migration 0027, irritants/insights/rollup.py).

Placing reports in irritants (an UPDATE of ``cluster_id`` per report in one transaction, clusters/jobs.py) while
citizens submit reports of the same days, administrations and départements must never deadlock on PostgreSQL: the
placement moves the reports in ``cluster_days`` only, which a new report never writes. And whatever counted column an
UPDATE changes, the rollups stay equal to a full recount (``irritants insights rebuild --check``), on both databases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
import time

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from irritants import config
from irritants.clusters.models import Cluster
from irritants.db import get_db, make_engine
from irritants.insights import rollup
from irritants.intake.models import Report, Severity
from irritants.migrate import alembic_config
from irritants.referential.models import Administration, Territory
from tests.conftest import _fresh_postgres_database, report_payload

DAY = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
CHANNELS = ("en_ligne", "telephone", "guichet", "courrier", "france_services", "email")
_serial = itertools.count()


def _row(admin: int, territory: str, **fields) -> dict:
    n = next(_serial)
    return {
        "reference": f"RT{n:08d}",
        "tracking_token_hash": f"rt{n:062d}",
        "token_seed": "s",
        "created_at": DAY,
        "description": "signalement de test",
        "administration_id": admin,
        "territory_code": territory,
        "channel_code": "en_ligne",
        "severity": next(iter(Severity)),
        "assisted": False,
        **fields,
    }


def _referential(session) -> tuple[list[int], list[str]]:
    admins = list(session.scalars(select(Administration.id).order_by(Administration.id)))[:4]
    territories = list(session.scalars(select(Territory.code).order_by(Territory.code)))[:4]
    return admins, territories


def _cluster(session, label: str = "Irritant de test") -> int:
    cluster = Cluster(label=label, keywords=[])
    session.add(cluster)
    session.flush()
    return cluster.id


def _someone_waits_on_a_row(conn) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()"
            )
        ).scalar()
    )


def test_placing_reports_while_citizens_submit_never_deadlocks(app, session):
    engine = get_db(app).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no two transactions hold rows in turn")
    admins, territories = _referential(session)
    cluster_id = _cluster(session)
    rounds = 6
    # Per round, two pending reports on two administrations × two départements of the same day.
    pending = []
    for i in range(rounds):
        a, b = admins[i % 2], admins[2 + i % 2]
        t, u = territories[i % 2], territories[2 + i % 2]
        ids = session.scalars(insert(Report).returning(Report.id), [_row(a, t), _row(b, u)]).all()
        pending.append((ids, (a, t), (b, u)))
    session.commit()

    failures: list[BaseException] = []
    watcher = engine.connect()
    try:
        for ids, (_a, t), (b, _u) in pending:
            placement = engine.connect()
            placement.execute(text("SET lock_timeout = '3s'"))
            # The placement's first report: before 0027 this locked its report_days row AND its territory_days row.
            placement.execute(update(Report).where(Report.id == ids[0]).values(cluster_id=cluster_id))

            def submit(admin=b, territory=t) -> None:
                # A citizen's report of the second report's administration in the first report's département.
                try:
                    with engine.begin() as citizen:
                        citizen.execute(text("SET LOCAL lock_timeout = '3s'"))
                        citizen.execute(insert(Report), [_row(admin, territory)])
                except OperationalError as error:
                    failures.append(error)

            thread = threading.Thread(target=submit)
            thread.start()
            deadline = time.monotonic() + 2
            while thread.is_alive() and time.monotonic() < deadline:
                if _someone_waits_on_a_row(watcher):
                    break  # the citizen holds the second report's report_days row and waits for the first's
                time.sleep(0.01)
            try:
                # The placement's second report: before 0027 it waited for the citizen, who waited for it.
                placement.execute(update(Report).where(Report.id == ids[1]).values(cluster_id=cluster_id))
                placement.commit()
            except OperationalError as error:
                failures.append(error)
                placement.rollback()
            finally:
                placement.close()
            thread.join(10)
            assert not thread.is_alive()
    finally:
        watcher.close()
    assert failures == [], [type(f.orig).__name__ for f in failures]
    session.expire_all()
    assert rollup.check_rollup(session)


def test_concurrent_placement_batches_and_submissions_leave_no_error(app, session):
    engine = get_db(app).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    admins, territories = _referential(session)
    cluster_ids = [_cluster(session, f"Irritant {i}") for i in range(3)]
    rng = random.Random(7)
    rows = [_row(rng.choice(admins), rng.choice(territories)) for _ in range(120)]
    ids = session.scalars(insert(Report).returning(Report.id), rows).all()
    session.commit()
    failures: list[BaseException] = []

    def place(batch: list[int]) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                for report_id in batch:  # one UPDATE per report, in id order, as the placement does
                    conn.execute(
                        update(Report).where(Report.id == report_id).values(cluster_id=rng.choice(cluster_ids))
                    )
                    time.sleep(0.001)
        except OperationalError as error:
            failures.append(error)

    def submit(count: int, seed: int) -> None:
        local = random.Random(seed)
        for _ in range(count):
            try:
                with engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                    conn.execute(insert(Report), [_row(local.choice(admins), local.choice(territories))])
            except OperationalError as error:
                failures.append(error)

    for round_ in range(4):
        batch = sorted(ids[round_ * 30 : (round_ + 1) * 30])
        threads = [threading.Thread(target=place, args=(batch,))]
        threads += [threading.Thread(target=submit, args=(10, round_ * 10 + k)) for k in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert failures == [], [type(f.orig).__name__ for f in failures]
    session.expire_all()
    assert rollup.check_rollup(session)


COUNTED = ("created_at", "administration_id", "territory_code", "channel_code", "severity", "assisted", "cluster_id")


def test_the_rollups_equal_a_recount_after_random_updates_of_each_counted_column(app, session):
    admins, territories = _referential(session)
    cluster_ids = [_cluster(session, f"Irritant {i}") for i in range(3)]
    rng = random.Random(2026)
    # Moments around both daylight-saving changes and Paris midnights, where the Paris day differs from UTC's.
    moments = [
        dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC),
        DAY,
    ]

    def value(column: str):
        return {
            "created_at": lambda: rng.choice(moments),
            "administration_id": lambda: rng.choice(admins),
            "territory_code": lambda: rng.choice(territories),
            "channel_code": lambda: rng.choice(CHANNELS),
            "severity": lambda: rng.choice(list(Severity)),
            "assisted": lambda: rng.random() < 0.5,
            "cluster_id": lambda: rng.choice([None, *cluster_ids]),
        }[column]()

    rows = [
        _row(rng.choice(admins), rng.choice(territories), cluster_id=rng.choice([None, *cluster_ids]))
        for _ in range(40)
    ]
    ids = session.scalars(insert(Report).returning(Report.id), rows).all()
    session.commit()
    assert rollup.check_rollup(session)
    for column in COUNTED:  # each counted column alone, then several at once
        for _ in range(15):
            session.execute(update(Report).where(Report.id == rng.choice(ids)).values({column: value(column)}))
        assert rollup.check_rollup(session), column
    for _ in range(40):
        columns = rng.sample(COUNTED, rng.randint(2, 4))
        session.execute(update(Report).where(Report.id == rng.choice(ids)).values({c: value(c) for c in columns}))
    # A bulk UPDATE of many rows at once (a merge moves an irritant's reports to another).
    session.execute(update(Report).where(Report.cluster_id == cluster_ids[0]).values(cluster_id=cluster_ids[1]))
    # An UPDATE that changes nothing counted (the placement also sets the status and the confidence).
    session.execute(update(Report).values(cluster_confidence=0.5))
    session.commit()
    session.expire_all()
    assert rollup.check_rollup(session)


def _triggers(engine) -> dict[str, str]:
    """The definitions of the triggers on ``reports`` (and on PostgreSQL of their function)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                    "WHERE tgrelid = 'reports'::regclass AND NOT tgisinternal"
                )
            ).all()
            function = conn.execute(text("SELECT pg_get_functiondef('reports_rollup'::regproc)")).scalar()
            return {**dict(rows), "reports_rollup()": function}
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reports'"))
        return dict(rows.all())


def test_0027_rewrites_the_update_triggers_and_its_downgrade_restores_0020s(tmp_path):
    from alembic import command

    base = config.test_database_url()
    if base is None:
        url, drop = f"sqlite:///{tmp_path / 'triggers.sqlite3'}", None
    else:
        url, drop = _fresh_postgres_database(base)
    cfg = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(cfg, "0026")
        before = _triggers(engine)
        command.upgrade(cfg, "0027")
        after = _triggers(engine)
        if engine.dialect.name == "postgresql":
            assert after.keys() == before.keys()
            assert after["reports_rollup()"] != before["reports_rollup()"]
            assert "TG_OP IN ('DELETE', 'UPDATE')" in before["reports_rollup()"]  # every rollup on any update
            assert "TG_OP IN ('DELETE', 'UPDATE')" not in after["reports_rollup()"]
        else:
            assert set(after) == {
                "reports_rollup_insert",
                "reports_rollup_delete",
                "reports_rollup_update_report_days",
                "reports_rollup_update_territory_days",
                "reports_rollup_update_cluster_days",
            }
            assert "territory_days" not in after["reports_rollup_update_cluster_days"]
            assert "cluster_id" not in after["reports_rollup_update_report_days"]
        command.downgrade(cfg, "0026")
        assert _triggers(engine) == before
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def test_a_submission_chosen_as_deadlock_victim_is_recorded_at_the_second_try(app, client):
    engine = get_db(app).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no deadlock")
    assert client.post("/api/v1/reports", json=report_payload()).status_code == 201  # today's rollup rows exist
    other = engine.connect()
    other.execute(text("SET deadlock_timeout = '3s'"))  # the submission detects the cycle first: it is the victim
    other.execute(text("UPDATE territory_days SET reports = reports WHERE territory_code = '59'"))
    answers = []
    thread = threading.Thread(target=lambda: answers.append(client.post("/api/v1/reports", json=report_payload())))
    try:
        thread.start()
        deadline = time.monotonic() + 3
        while not _someone_waits_on_a_row(other) and time.monotonic() < deadline:
            time.sleep(0.01)
        # The submission holds its report_days row and waits for this territory_days row: this closes the cycle.
        other.execute(text("UPDATE report_days SET reports = reports"))
        other.commit()
    finally:
        other.close()
        thread.join(10)
    assert [answer.status_code for answer in answers] == [201]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Report)).scalar() == 2
