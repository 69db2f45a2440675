"""Partners: the services that write to irritants through Open311 GeoReport v2, each with its own API key.

A key is printed once when the partner is created (``irritants partners create --name NAME``) and stored only as a
SHA-256 hash; revoking a partner refuses its key from then on. ``partner_requests`` remembers which partner sent
which report and the Open311 token it was given (``tokens/{token}``), never the citizen's tracking token.
The door is ``irritants/open311/`` (docs/open311.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: the tables, services and commands are used by the Open311 door and the CLI."""
