"""Which département contains a point (WGS84): pure, no Flask, no SQL."""

from __future__ import annotations


def departement_at(lat: float, lon: float) -> str | None:
    """The département containing the point; None outside France (first version: not located yet)."""
    return None
