"""Conversations between agents and a report's author, through the service: agents' questions, the author's replies
and added details. Neither side ever sees the other's address: questions reach the author by mail (a receiver of
``events.question_asked``), replies are written on the tracking page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: its doors are the tracking page (``public/``) and the irritant's back-office page."""
