"""Reference data: territories (départements), administrations, démarches, contact channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: the reference data is loaded by its command and read through ``services``."""
