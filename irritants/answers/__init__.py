"""Administrations' public answers on irritants: a correspondant (or an admin) writes what their administration
says about an irritant; it shows on the public irritant page and in the API, and reaches the irritant's reporters by
mail (``events.administration_answered``, heard by ``notify``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: its doors are the irritant's back-office page (triage), the public page and the API."""
