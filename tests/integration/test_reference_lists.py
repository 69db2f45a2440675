"""The référentiel's lists shown by the pages are read once per process and stay readable outside any session."""

from __future__ import annotations

from sqlalchemy import event, text

from irritants.db import get_db
from irritants.referential import cache
from irritants.referential import services as referential


def _statements(app, read) -> tuple[int, list]:
    engine = get_db(app).engine
    seen: list[str] = []

    def count(*args) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.app_context(), get_db(app).session_scope() as session:
            rows = read(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), rows


def test_the_lists_are_read_once_then_kept_with_their_demarches(app) -> None:
    cache.invalidate()
    lists = (referential.list_administrations, referential.list_territories, referential.list_channels)
    first = [_statements(app, read) for read in lists]
    again = [_statements(app, read) for read in lists]
    assert all(queries > 0 for queries, _ in first)
    assert [queries for queries, _ in again] == [0, 0, 0]
    administrations = again[0][1]
    # Read after their sessions closed: every column and the démarches were loaded with them.
    assert [a.slug for a in administrations] == [a.slug for a in first[0][1]]
    caf = next(a for a in administrations if a.slug == "caf")
    assert caf.name and "demande-rsa" in {p.slug for p in caf.procedures}
    assert len(again[1][1]) == 101 and {c.code for c in again[2][1]} >= {"telephone", "en_ligne"}


def test_load_reference_forgets_the_kept_lists(app, runner) -> None:
    _statements(app, referential.list_administrations)
    assert runner.invoke(args=["load-reference"]).exit_code == 0
    queries, administrations = _statements(app, referential.list_administrations)
    assert queries > 0 and administrations


def test_a_writer_reads_the_lists_without_waiting_for_its_own_write_turn(app, caplog) -> None:
    """A POST's session holds SQLite's write turn from its first statement; the lists, read in a session of their
    own, must not queue behind it (they did: 10 s in the turn's queue, then « database is locked », a 503)."""
    cache.invalidate()
    with app.app_context(), get_db(app).session_scope() as writer:
        writer.execute(text("DELETE FROM periodic_runs WHERE 0 = 1"))  # a write transaction now holds the turn
        administrations = referential.list_administrations(writer)
        writer.rollback()
    assert any(a.slug == "caf" for a in administrations)
    assert "write turn not obtained" not in caplog.text
