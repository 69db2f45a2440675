"""Share the compiled code of Jinja templates between the apps a test session creates.

Each app has a Jinja environment of its own, and an environment compiles a template (parse, generate Python, compile)
the first time it renders it: for a page on the DSFR layout, about 0.1 s of CPU, paid again by every test that builds
an app and opens a page, for the same templates. A Jinja bytecode cache keeps that code in the process: a new
environment loads it (``marshal``) instead of compiling. The source's checksum is part of what Jinja checks, and the
key names what the generated code depends on in the environment (syntax, extensions, autoescaping), so an
environment configured otherwise compiles its own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache


def _signature(environment: Environment, name: str) -> str:
    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    return repr(
        (
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            environment.optimized,
            environment.is_async,
            environment.finalize is not None,
            sorted(environment.extensions),
            autoescape,
        )
    )


class SharedTemplateCode(BytecodeCache):
    """Compiled templates of this process, in memory, for every environment that uses it."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = f"{self.get_cache_key(name, filename)}|{_signature(environment, name)}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja drops it if the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_shared = SharedTemplateCode()


def share_compiled_templates() -> None:
    """Give every Flask app's Jinja environment of this process the shared bytecode cache (idempotent)."""
    original = Flask.create_jinja_environment
    if getattr(original, "shared", False):
        return

    def create_jinja_environment(self: Flask) -> Any:
        environment = original(self)
        environment.bytecode_cache = _shared
        return environment

    create_jinja_environment.shared = True  # type: ignore[attr-defined]
    Flask.create_jinja_environment = create_jinja_environment  # type: ignore[method-assign]
