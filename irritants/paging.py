"""The one paging and sorting rule of every list, back-office pages and API alike: which pages and page sizes are
accepted (``PageQuerySchema``, where a blank parameter is a missing one), how a list is sorted (``sort_field``: one
``sort`` parameter, ``field`` ascending or ``-field`` descending, from a list's own whitelist; ``ordered``), how a
page is read (``paginate``), and the one envelope a list answers with (``Page``, documented by ``page_schema``):
``items``, ``total``, ``page``, ``page_size``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import marshmallow as ma
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

T = TypeVar("T")
U = TypeVar("U")

# Bounded so an OFFSET never overflows SQLite's 64-bit integers (an unbounded page number was a 500).
PAGE_MAX = 100_000
PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 20
PAGE_MESSAGE = f"Numéro de page invalide. Attendu : de 1 à {PAGE_MAX:,}.".replace(",", " ")
PAGE_SIZE_MESSAGE = f"Nombre d'éléments par page invalide. Attendu : de 1 à {PAGE_SIZE_MAX}."
ENVELOPE = ("items", "total", "page", "page_size")
# OpenAPI extension of a GET that answers a whole, bounded list instead of a page (reference lists, suggestions).
UNPAGED = "x-unpaged"


def page_field() -> ma.fields.Integer:
    """``page``: 1 by default, 1 to PAGE_MAX."""
    return ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=PAGE_MAX, error=PAGE_MESSAGE),
        error_messages={"invalid": PAGE_MESSAGE},
        metadata={"description": f"Numéro de page (1 à {PAGE_MAX})"},
    )


def page_size_field(default: int = PAGE_SIZE_DEFAULT) -> ma.fields.Integer:
    """``page_size``: ``default`` when absent, 1 to PAGE_SIZE_MAX."""
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=1, max=PAGE_SIZE_MAX, error=PAGE_SIZE_MESSAGE),
        error_messages={"invalid": PAGE_SIZE_MESSAGE},
        metadata={"description": f"Éléments par page (1 à {PAGE_SIZE_MAX}, {default} par défaut)"},
    )


class PageQuerySchema(ma.Schema):
    """The query string of a list: ``page`` and ``page_size`` (a list with other filters extends it, and may
    redeclare ``page_size`` with another default). An empty parameter (``?status=``, an empty select of a GET
    form) is the same as a missing one, for every list."""

    page = page_field()
    page_size = page_size_field()

    @ma.pre_load
    def _drop_blanks(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v not in ("", None)}


@dataclass(frozen=True)
class Sort:
    """The order asked of a list: one of its fields, ascending or descending."""

    field: str
    descending: bool = False

    @classmethod
    def parse(cls, spelling: str) -> Sort:
        """``field`` (ascending) or ``-field`` (descending)."""
        return cls(spelling.removeprefix("-"), spelling.startswith("-"))

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def sort_spellings(fields: Sequence[str]) -> list[str]:
    """Every accepted spelling of ``sort`` for these fields: each ascending then descending."""
    return [spelling for name in fields for spelling in (name, f"-{name}")]


class SortField(ma.fields.String):
    """``sort``: ``field`` or ``-field`` among a list's own fields, loaded as that spelling. ``legacy``: former
    values still understood, loaded as their spelling under this rule (the API announces them as deprecated)."""

    def __init__(
        self,
        fields: Sequence[str],
        default: str,
        *,
        legacy: Mapping[str, str] | None = None,
        note: str = "",
        **kwargs: Any,
    ) -> None:
        self.legacy = dict(legacy or {})
        # A legacy value that is also a field's ascending spelling keeps its former meaning: that direction waits.
        self.spellings = [s for s in sort_spellings(fields) if s not in self.legacy]
        self.message = f"Tri inconnu. Tris possibles : {', '.join(self.spellings)}."
        described = f"Tri : un champ (croissant) ou -champ (décroissant) parmi {', '.join(self.spellings)}"
        described = f"{described} ; {default} par défaut{'. ' + note if note else ''}"
        metadata = {"description": described, "enum": [*self.spellings, *self.legacy]}
        super().__init__(load_default=default, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        spelling = super()._deserialize(value, attr, data, **kwargs).strip()
        spelling = self.legacy.get(spelling, spelling)
        if spelling not in self.spellings and spelling not in self.legacy.values():
            raise ma.ValidationError(self.message)
        return spelling


def sort_field(
    fields: Sequence[str], default: str, *, legacy: Mapping[str, str] | None = None, note: str = ""
) -> SortField:
    """The ``sort`` parameter of a list sorted by one of ``fields`` (``default`` when absent; ``note``: more for its
    documentation)."""
    return SortField(fields, default, legacy=legacy, note=note)


def ordered(stmt: Select[Any], sort: Sort | str, columns: Mapping[str, Any], *, tiebreak: Any) -> Select[Any]:
    """``stmt`` in the order ``sort`` asks (a :class:`Sort` or its spelling): its field's column (or columns, the
    first leading), then ``tiebreak`` (a unique column, so pages never overlap), all in the same direction — unless
    ``tiebreak`` already says its own, e.g. ``Cluster.id.asc()``; empty values last either way."""
    sort = Sort.parse(sort) if isinstance(sort, str) else sort
    chosen = columns[sort.field]
    keys = [
        _direction(k, descending=sort.descending) for k in (chosen if isinstance(chosen, tuple | list) else (chosen,))
    ]
    fixed = isinstance(tiebreak, UnaryExpression) and tiebreak.modifier is not None
    return stmt.order_by(*keys, tiebreak if fixed else _direction(tiebreak, descending=sort.descending))


def _direction(key: Any, *, descending: bool) -> Any:
    # NULLS LAST only where a value may be missing: on a NOT NULL column it would keep PostgreSQL from reading an
    # index backwards for a descending order.
    term = key.desc() if descending else key.asc()
    return term.nulls_last() if getattr(getattr(key, "expression", key), "nullable", True) else term


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the envelope every list answers with."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, even empty)."""
        return max(1, math.ceil(self.total / self.page_size))

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page, each item converted (e.g. a row into what the API shows of it)."""
        return Page([convert(item) for item in self.items], self.total, self.page, self.page_size)

    @classmethod
    def of(cls, everything: Sequence[T], *, page: int, page_size: int) -> Page[T]:
        """One page of a list already in memory (short lists filtered by the policy in Python)."""
        start = (page - 1) * page_size
        return cls(list(everything[start : start + page_size]), len(everything), page, page_size)


def paginate(
    session: Session, stmt: Select[Any], *, page: int, page_size: int, counted: Select[Any] | None = None
) -> Page[Any]:
    """One page of ``stmt`` (ordered) and the total; ``counted``: the same rows without what only orders them
    (joins for sorting), when counting ``stmt`` itself would be slower."""
    base = counted if counted is not None else stmt
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)))
    return Page(items, total, page, page_size)


def page_schema(item: type[ma.Schema], name: str, description: str = "") -> type[ma.Schema]:
    """The envelope of a list of ``item`` (OpenAPI component ``name``): items, total, page, page_size."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), metadata={"description": description or "Éléments"}),
            "total": ma.fields.Integer(metadata={"description": "Nombre total d'éléments, toutes pages comprises"}),
            "page": ma.fields.Integer(metadata={"description": "Numéro de cette page (à partir de 1)"}),
            "page_size": ma.fields.Integer(metadata={"description": "Éléments par page demandés"}),
        },
        name=f"{name}Schema",
    )


def unpaged(reason: str) -> dict[str, str]:
    """Documentation of a GET answering a whole list, not a page (for ``bp.doc``): why it needs no paging."""
    return {UNPAGED: reason}
