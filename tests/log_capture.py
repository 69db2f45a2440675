"""What the app's log handler writes during a test: the JSON lines of every logger, parsed (irritants.logs)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from irritants.logs import make_handler
from irritants.settings import LogFormat


class CapturedLines:
    """The raw text of the lines written so far, and each one parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]


@contextlib.contextmanager
def json_lines(level: int = logging.DEBUG) -> Iterator[CapturedLines]:
    """Every line any logger writes at ``level`` or above, through the handler production uses (JSON)."""
    stream = io.StringIO()
    handler = make_handler(LogFormat.JSON, stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield CapturedLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
