"""``irritants.locks.one_at_a_time``: one holder of a name at a time, on either database (advisory lock, lock file)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from irritants.db import get_db
from irritants.locks import LockBusy, lock_key, one_at_a_time


def test_the_key_of_a_name_is_stable_and_fits_a_bigint():
    # Fixed here so that a change of derivation (which would let old and new processes run together) is noticed.
    assert lock_key("clustering") == 5195256953113594114 != lock_key("recluster")
    assert all(-(1 << 63) <= lock_key(name) < (1 << 63) for name in ("clustering", "recluster", "jobs-thread"))


def test_names_are_plain_words():
    with pytest.raises(ValueError), one_at_a_time(object(), "../etc"):  # type: ignore[arg-type]
        pass


def _held_in_thread(hold, release: threading.Event) -> tuple[threading.Thread, threading.Event]:
    entered = threading.Event()

    def run() -> None:
        with hold():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(10)
    return thread, entered


@pytest.mark.parametrize("scope", ["engine", "session"])
def test_a_held_lock_is_refused_without_waiting_then_free_once_released(app, scope):
    database = get_db(app)

    def hold():
        if scope == "engine":
            return one_at_a_time(database.engine, "test-lock", wait=False)
        return _in_a_transaction(database)

    release = threading.Event()
    thread, _ = _held_in_thread(hold, release)
    try:
        with pytest.raises(LockBusy), hold():
            pass
    finally:
        release.set()
        thread.join(10)
    with hold():  # free again
        pass


@contextmanager
def _in_a_transaction(database):
    """The transaction-scoped form: the lock of a session's transaction, which commits at the end of the block."""
    with database.write_sessions() as session, one_at_a_time(session, "test-lock", wait=False):
        yield
        session.commit()


def test_a_waiting_holder_gets_the_lock_once_it_is_released(app):
    engine = get_db(app).engine
    order: list[str] = []
    release = threading.Event()
    thread, _ = _held_in_thread(lambda: one_at_a_time(engine, "test-lock"), release)
    waiter_done = threading.Event()

    def waiter() -> None:
        with one_at_a_time(engine, "test-lock"):
            order.append("waiter")
        waiter_done.set()

    second = threading.Thread(target=waiter)
    second.start()
    assert not waiter_done.wait(0.3)  # it waits
    order.append("holder released")
    release.set()
    thread.join(10)
    assert waiter_done.wait(10)
    second.join(10)
    assert order == ["holder released", "waiter"]


def test_on_sqlite_it_is_refused_inside_a_write_transaction(app):
    database = get_db(app)
    if not database.is_sqlite:
        pytest.skip("SQLite's write turn")
    with database.write_sessions() as session:
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: this thread holds the machine's write turn
        with pytest.raises(RuntimeError, match="before"), one_at_a_time(session, "test-lock"):
            pass
        session.rollback()
    with database.write_sessions() as session, one_at_a_time(session, "test-lock"):
        session.execute(text("SELECT 1"))  # taken first, then the write transaction: the right order
        session.commit()


def test_on_postgresql_the_session_form_ends_with_the_transaction(app):
    database = get_db(app)
    if database.is_sqlite:
        pytest.skip("PostgreSQL advisory locks")
    with database.write_sessions() as session:
        with one_at_a_time(session, "test-lock"):
            held = session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            )
            assert held == 1
            session.commit()
        assert (
            session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))
            == 0
        )
