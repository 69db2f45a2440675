"""Share Werkzeug's compiled URL builders between the apps a test session creates.

Binding a rule to an app's URL map compiles two Python functions per rule (``Rule._compile_builder``, an AST
built, walked and compiled): four fifths of ``create_app``'s time, paid again by every test that builds an app,
for the same ~200 rules. A builder is a plain function of the rule (it reaches the converters through the rule
it is bound to), so the one compiled for an equal rule serves every app: it is kept under what its code depends
on and bound to each new rule as Werkzeug binds its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from werkzeug.routing.rules import Rule

_compiled: dict[Hashable, Callable[..., tuple[str, str]]] = {}


def _key(rule: Rule, append_unknown: bool) -> Hashable:
    """What the generated code depends on: the rule's text (the function's name), its parsed parts, the names of
    its defaults and, for a default that fills a placeholder, the text its converter makes of it."""
    defaults = rule.defaults or {}
    filled = tuple(
        (name, rule._converters[name].to_url(defaults[name]))
        for dynamic, name in rule._trace
        if dynamic and name in defaults
    )
    return (rule.rule, tuple(rule._trace), tuple(str(name) for name in defaults), filled, append_unknown)


def share_compiled_builders() -> None:
    """Make ``Rule._compile_builder`` reuse the function compiled for an equal rule (idempotent)."""
    original = Rule._compile_builder
    if getattr(original, "shared", False):
        return

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = _key(self, append_unknown)
        builder = _compiled.get(key)
        if builder is None:
            builder = _compiled[key] = original(self, append_unknown)
        return builder

    compile_builder.shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
