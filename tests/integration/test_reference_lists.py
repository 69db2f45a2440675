"""The référentiel's lists shown by the pages are read once per process and stay readable outside any session."""

from __future__ import annotations

from sqlalchemy import event

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
