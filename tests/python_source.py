"""Reading the project's own source as a syntax tree, for the tests that check how the code is written."""

from __future__ import annotations

import ast
from pathlib import Path


def parse(path: Path) -> ast.Module:
    """The syntax tree of one file.

    CPython 3.11 up to 3.11.7 may raise ``SystemError: AST constructor recursion depth mismatch`` when another thread
    (a test's server) builds a syntax tree at the same moment (python/cpython#106905, fixed in 3.11.8 and 3.12.1):
    the file is then simply read again.
    """
    text = path.read_text(encoding="utf-8")
    for _ in range(3):
        try:
            return ast.parse(text, filename=str(path))
        except SystemError:
            continue
    return ast.parse(text, filename=str(path))
