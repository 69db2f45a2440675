"""The one paging rule of every list, back-office pages and API alike: which pages and page sizes are accepted."""

from __future__ import annotations

import marshmallow as ma

# Bounded so an OFFSET never overflows SQLite's 64-bit integers (an unbounded page number was a 500).
PAGE_MAX = 100_000
PAGE_SIZE_MAX = 100
PAGE_MESSAGE = f"Numéro de page invalide. Attendu : de 1 à {PAGE_MAX:,}.".replace(",", " ")
PAGE_SIZE_MESSAGE = f"Nombre d'éléments par page invalide. Attendu : de 1 à {PAGE_SIZE_MAX}."


def page_field() -> ma.fields.Integer:
    """``page``: 1 by default, 1 to PAGE_MAX."""
    return ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=PAGE_MAX, error=PAGE_MESSAGE),
        error_messages={"invalid": PAGE_MESSAGE},
        metadata={"description": f"Numéro de page (1 à {PAGE_MAX})"},
    )


def page_size_field(default: int) -> ma.fields.Integer:
    """``page_size``: ``default`` when absent, 1 to PAGE_SIZE_MAX."""
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=1, max=PAGE_SIZE_MAX, error=PAGE_SIZE_MESSAGE),
        error_messages={"invalid": PAGE_SIZE_MESSAGE},
        metadata={"description": f"Éléments par page (1 à {PAGE_SIZE_MAX}, {default} par défaut)"},
    )
