"""A squad's backlog as a CSV file that round-trips (for squads that live in another tool).

The file: UTF-8 with a byte-order mark, ``;`` between cells and CRLF between rows (what Excel opens as is in
France), columns ``id;title;description;points;state;sprint;rank;irritants``, items in rank order. ``points`` and
``sprint`` (the sprint's number in the squad) are empty for none; ``irritants`` are ids separated by spaces. A title
or description that starts like a formula (``= + - @``) gets a leading ``'`` that the import takes off again, so a
spreadsheet never runs it. Importing reads ``;`` or ``,``, with or without the mark.

Import: every row is checked first and each problem named with its line (2 = first data row, as a spreadsheet
numbers it) and column; one problem and nothing is written. A row with an id updates that item, only in the fields
whose value differs, through the backlog services (each change logged, its event sent); a row without one adds an
item; an item absent from the file is left as it is; a missing column leaves its field alone; an empty rank keeps an
item's place (a new one goes last). No version column: the file is the squad's own tool speaking, so the last
writer wins, and ``dry_run`` shows beforehand what would change. Export of what an import wrote gives back the
imported file byte for byte when it was written in this dialect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.services import Actor
from irritants.db import utcnow
from irritants.errors import ValidationFailed
from irritants.progress import Progress, no_progress
from irritants.sanitize import clean_text
from irritants.squads import backlog
from irritants.squads.sprints import BacklogItem, ItemField, ItemState, Sprint, SprintState

COLUMNS = ("id", "title", "description", "points", "state", "sprint", "rank", "irritants")
BOM = "\ufeff"
SEPARATOR = ";"
DESCRIPTION_MAX = 10_000
LINKS_MAX = 50
RANK_LIMIT = 2**30
# Irritants are checked by the door (squads sit below them): of the ids a file links, why each one may not be
# (unknown, spam, duplicate…), in French; an id absent from the answer may be linked.
Known = Callable[[set[int]], dict[int, str]]
_FORMULA = re.compile(r"'*[=+\-@]")
_INTEGER = re.compile(r"-?\d{1,10}")


@dataclass(frozen=True)
class RowError:
    """A problem of the file, where a spreadsheet shows it."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, colonne {self.column} : {self.message}"


@dataclass
class NewItem:
    line: int
    title: str
    linked: bool = False  # linked to some irritants
    item_id: int | None = None  # once written


@dataclass
class ImportResult:
    """What the file asks (or asked, once written): items created, fields changed per item id, the rest."""

    created: list[NewItem] = field(default_factory=list)
    updated: dict[int, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run


# --- export ------------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return f"'{text}" if _FORMULA.match(text) else text


def _unescape(text: str) -> str:
    return text[1:] if _FORMULA.match(text) and text.startswith("'") else text


def _squad_items(session: Session, squad_id: int) -> list[BacklogItem]:
    stmt = select(BacklogItem).where(BacklogItem.squad_id == squad_id).order_by(BacklogItem.rank, BacklogItem.id)
    return list(session.scalars(stmt))


def _sprints(session: Session, squad_id: int) -> list[Sprint]:
    return list(session.scalars(select(Sprint).where(Sprint.squad_id == squad_id)))


def export_csv(session: Session, squad_id: int) -> bytes:
    """The squad's items as the CSV file described above (same data, same bytes)."""
    backlog.get_squad(session, squad_id)
    items = _squad_items(session, squad_id)
    numbers = {sprint.id: str(sprint.number) for sprint in _sprints(session, squad_id)}
    links = backlog.links_of(session, [item.id for item in items])
    rows = [
        {
            "id": str(item.id),
            "title": _escape(item.title),
            "description": _escape(item.description),
            "points": "" if item.points is None else str(item.points),
            "state": item.state.value,
            "sprint": "" if item.sprint_id is None else numbers[item.sprint_id],
            "rank": str(item.rank),
            "irritants": " ".join(str(i) for i in links[item.id]),
        }
        for item in items
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=str)
    return (BOM + frame.to_csv(sep=SEPARATOR, index=False, lineterminator="\r\n")).encode("utf-8")


# --- reading and checking ----------------------------------------------------------------------------------------


class _Bad(Exception):
    pass


def read_frame(data: bytes) -> tuple[pd.DataFrame | None, list[RowError]]:
    """The file's rows as text (``;`` or ``,``, byte-order mark or not), or the reason it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [RowError(1, "-", "Le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 ».")]
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") >= header.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        return None, [RowError(1, "-", "Le fichier est vide : la première ligne doit nommer les colonnes.")]
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = (
            f"la ligne {found.group(1)} a {found.group(2)} cellules" if found else "cellules ou guillemets mal formés"
        )
        return None, [RowError(int(found.group(1)) if found else 1, "-", f"Fichier illisible : {where}.")]
    frame.columns = [str(c).strip() for c in frame.columns]
    errors = [
        RowError(1, column, f"Colonne inconnue « {column} » : colonnes possibles {', '.join(COLUMNS)}.")
        for column in frame.columns
        if column not in COLUMNS
    ]
    errors += [
        RowError(1, column, f"La colonne « {column} » est obligatoire.")
        for column in ("id", "title")
        if column not in frame.columns
    ]
    return (None, errors) if errors else (frame.fillna(""), [])


@dataclass
class _Row:
    line: int
    item_id: int | None
    wanted: dict[str, Any]  # column → value, for the columns the file has (rank None: keep / last)


def _id(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) >= 2**31:
        raise _Bad("L'identifiant est un nombre entier (vide pour un nouvel élément).")
    return int(value)


def _title(value: str) -> str:
    try:
        return backlog._title(_unescape(value))  # the one title rule
    except ValidationFailed as err:
        raise _Bad(err.detail) from None


def _description(value: str) -> str:
    text = clean_text(_unescape(value))
    if len(text) > DESCRIPTION_MAX:
        raise _Bad(f"La description ne doit pas dépasser {DESCRIPTION_MAX:_} caractères.".replace("_", "\u202f"))
    return text


def _points(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) >= 2**31:
        raise _Bad(f"Points « {value} » : un nombre entier positif ou nul est attendu (ou rien).")
    return int(value)


def _state(value: str, new: bool) -> ItemState:
    value = value.strip()
    if not value and new:
        return ItemState.TODO
    try:
        return ItemState(value)
    except ValueError:
        raise _Bad(f"État « {value} » inconnu : todo (à faire), in_progress (en cours) ou done (fait).") from None


def _rank(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not _INTEGER.fullmatch(value) or not -RANK_LIMIT < int(value) < RANK_LIMIT:
        raise _Bad(f"Rang « {value} » : un nombre entier est attendu (vide : à la fin du backlog).")
    return int(value)


def _irritants(value: str) -> set[int]:
    tokens = value.replace(",", " ").split()
    if not all(t.isdigit() and 0 < int(t) < 2**31 for t in tokens):
        raise _Bad("Identifiants d'irritants séparés par des espaces attendus (ex. « 12 40 »).")
    if len(tokens) > LINKS_MAX:
        raise _Bad(f"{LINKS_MAX} irritants au plus.")
    return {int(t) for t in tokens}


class _Checker:
    """Reads each row into the values it asks for, collecting the problems with their line and column."""

    def __init__(self, session: Session, squad_id: int) -> None:
        self.items = {item.id: item for item in _squad_items(session, squad_id)}
        self.sprints = {sprint.number: sprint for sprint in _sprints(session, squad_id)}
        self.seen: dict[int, int] = {}
        self.errors: list[RowError] = []

    def _sprint(self, value: str, item: BacklogItem | None) -> int | None:
        value = value.strip()
        if not value:
            return None
        sprint = self.sprints.get(int(value)) if value.isdigit() and int(value) < 2**31 else None
        if sprint is None:
            raise _Bad(f"Sprint n° {value} inconnu pour cette start-up d'État (vide : backlog produit).")
        if sprint.state == SprintState.CLOSED and (item is None or item.sprint_id != sprint.id):
            raise _Bad(f"Le sprint {sprint.number} est terminé : on n'y ajoute plus d'éléments.")
        return sprint.id

    def _item(self, line: int, value: str) -> tuple[int | None, BacklogItem | None]:
        item_id = _id(value)
        if item_id is None:
            return None, None
        if item_id not in self.items:
            raise _Bad(f"Élément {item_id} inconnu pour cette start-up d'État : laissez l'id vide pour en créer un.")
        if item_id in self.seen:
            raise _Bad(f"L'élément {item_id} figure déjà ligne {self.seen[item_id]}.")
        self.seen[item_id] = line
        return item_id, self.items[item_id]

    def row(self, line: int, cells: dict[str, str]) -> _Row | None:
        try:
            item_id, item = self._item(line, cells["id"])
        except _Bad as bad:
            self.errors.append(RowError(line, "id", str(bad)))
            return None
        readers: dict[str, Callable[[str], Any]] = {
            "title": _title,
            "description": _description,
            "points": _points,
            "state": lambda v: _state(v, item is None),
            "sprint": lambda v: self._sprint(v, item),
            "rank": _rank,
            "irritants": _irritants,
        }
        wanted: dict[str, Any] = {}
        for column, read in readers.items():
            if column in cells:
                try:
                    wanted[column] = read(cells[column])
                except _Bad as bad:
                    self.errors.append(RowError(line, column, str(bad)))
        return _Row(line, item_id, wanted)


def _check_irritants(rows: list[_Row], known: Known, errors: list[RowError], links: dict[int, list[int]]) -> None:
    # Only links the file adds are asked about: an existing link stays, whatever its irritant became since.
    added = {row.line: row.wanted.get("irritants", set()) - set(links.get(row.item_id or 0, ())) for row in rows}
    asked = set().union(*added.values())
    problems = known(asked) if asked else {}
    for row in rows:
        errors += [RowError(row.line, "irritants", problems[i]) for i in sorted(added[row.line] & problems.keys())]


def _plan_ranks(rows: list[_Row], items: dict[int, BacklogItem], errors: list[RowError]) -> dict[int, int]:
    """Final rank of each row (by line): asked, kept, or after the last; a rank two items would hold is refused."""
    final: dict[tuple[str, int], int] = {("item", i): item.rank for i, item in items.items()}
    lines: dict[tuple[str, int], int] = {}
    for row in rows:
        key = ("item", row.item_id) if row.item_id is not None else ("line", row.line)
        lines[key] = row.line
        if row.wanted.get("rank") is not None:
            final[key] = row.wanted["rank"]
    last = max(final.values(), default=0)
    for row in rows:
        if row.item_id is None and row.wanted.get("rank") is None:
            last += 1
            final[("line", row.line)] = last
    holders: dict[int, list[tuple[str, int]]] = {}
    for key, rank in final.items():
        holders.setdefault(rank, []).append(key)
    for rank, keys in sorted(holders.items()):
        moved = [k for k in keys if k in lines and (k[0] == "line" or final[k] != items[k[1]].rank)]
        for key in moved if len(keys) > 1 else ():
            others = ", ".join(
                f"ligne {lines[o]}" if o in lines else f"élément {o[1]} (absent du fichier)" for o in keys if o != key
            )
            errors.append(RowError(lines[key], "rank", f"Le rang {rank} serait aussi celui de : {others}."))
    return {line: final[key] for key, line in lines.items()}


# --- import ------------------------------------------------------------------------------------------------------


def _differences(row: _Row, item: BacklogItem, links: list[int]) -> list[str]:
    current = {
        "title": item.title, "description": item.description, "points": item.points, "state": item.state,
        "sprint": item.sprint_id, "rank": item.rank, "irritants": set(links),
    }  # fmt: skip
    return [column for column in COLUMNS if column in row.wanted and row.wanted[column] != current[column]]


def _line_order(error: RowError) -> tuple[int, int]:
    return error.line, COLUMNS.index(error.column) if error.column in COLUMNS else -1


def plan_import(
    session: Session, squad_id: int, data: bytes, *, known: Known, progress: Progress = no_progress
) -> tuple[ImportResult, list[_Row]]:
    """What the file asks of the squad's backlog, every row checked; nothing written."""
    backlog.get_squad(session, squad_id)
    result = ImportResult()
    frame, result.errors = read_frame(data)
    if frame is None:
        return result, []
    checker, rows = _Checker(session, squad_id), []
    records = frame.to_dict("records")
    for index, cells in enumerate(records):
        if any(str(value).strip() for value in cells.values()):  # a blank line is no item
            row = checker.row(index + 2, {str(k): str(v) for k, v in cells.items()})
            rows += [row] if row is not None else []
        progress("rows", index + 1, len(records))
    errors, links = checker.errors, backlog.links_of(session, checker.items)
    _check_irritants(rows, known, errors, links)
    planned = _plan_ranks(rows, checker.items, errors)
    if errors:
        result.errors = sorted(errors, key=_line_order)
        return result, []
    for row in rows:
        row.wanted["rank"] = planned[row.line]
        if row.item_id is None:
            result.created.append(NewItem(row.line, row.wanted["title"], bool(row.wanted.get("irritants"))))
        elif changed := _differences(row, checker.items[row.item_id], links[row.item_id]):
            result.updated[row.item_id] = changed
        else:
            result.unchanged += 1
    return result, rows


def _update(session: Session, actor: Actor | None, row: _Row, changed: list[str], now: dt.datetime) -> None:
    item_id, wanted = row.item_id or 0, row.wanted
    texts = {column: wanted[column] for column in ("title", "description") if column in changed}
    if texts or "points" in changed:
        points = wanted.get("points") if "points" in changed else None
        clear = "points" in changed and points is None
        backlog.edit_item(session, actor, item_id, **texts, points=points, clear_points=clear, now=now)
    if "state" in changed:
        backlog.change_state(session, actor, item_id, wanted["state"], now=now)
    if "sprint" in changed:
        backlog.set_sprint(session, actor, item_id, wanted["sprint"], now=now)
    if "irritants" in changed:
        current = set(backlog.linked_irritants(session, item_id))
        for cluster_id in sorted(current - wanted["irritants"]):
            backlog.unlink_irritant(session, actor, item_id, cluster_id, now=now)
        for cluster_id in sorted(wanted["irritants"] - current):
            backlog.link_irritant(session, actor, item_id, cluster_id, now=now)


def _set_rank(session: Session, actor: Actor | None, item_id: int, rank: int, now: dt.datetime) -> None:
    # The file sets every rank at once (a swap included), so no item is pushed down as ``set_rank`` would.
    backlog.set_field(session, actor, backlog.get_item(session, item_id), ItemField.RANK, "rank", rank, now)


def import_csv(
    session: Session,
    actor: Actor | None,
    squad_id: int,
    data: bytes,
    *,
    known: Known,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    progress: Progress = no_progress,
) -> ImportResult:
    """Check the whole file, then (unless it has a problem or ``dry_run``) apply it through the backlog services."""
    result, rows = plan_import(session, squad_id, data, known=known, progress=progress)
    result.dry_run = dry_run
    if not result.written:
        return result
    now, done = now or utcnow(), 0
    for row in (r for r in rows if r.item_id is not None):
        if row.item_id in result.updated:
            _update(session, actor, row, result.updated[row.item_id], now)
            if "rank" in result.updated[row.item_id]:
                _set_rank(session, actor, row.item_id, row.wanted["rank"], now)
        done += 1
        progress("items", done, len(rows))
    for row, new in zip((r for r in rows if r.item_id is None), result.created, strict=True):
        wanted = row.wanted
        item = backlog.create_item(
            session, actor, squad_id, title=wanted["title"], description=wanted.get("description", ""),
            points=wanted.get("points"), sprint_id=wanted.get("sprint"), cluster_ids=wanted.get("irritants", ()),
            now=now,
        )  # fmt: skip
        if wanted.get("state", ItemState.TODO) != ItemState.TODO:
            backlog.change_state(session, actor, item.id, wanted["state"], now=now)
        _set_rank(session, actor, item.id, wanted["rank"], now)
        new.item_id = item.id
        done += 1
        progress("items", done, len(rows))
    backlog.flush(session)
    return result
