"""The types a setting may be declared with and how its text is read: ``irritants/config/declared.py`` declares
each setting with them (``CONTACT_RETENTION_DAYS: Env[Count] = 365``), ``irritants/config/loading.py`` parses the
environment's text and checks every value by its declaration. Nothing else needs them: services get the
per-concern objects of ``irritants/settings.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, TypeVar

from irritants.ranking import Weights

# --- declaring a setting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Min:
    """Annotation metadata: the least value a number setting may take."""

    value: float


@dataclass(frozen=True)
class Max:
    """Annotation metadata: the greatest value a number setting may take."""

    value: float


class _FromEnvironment:
    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT = _FromEnvironment()
T = TypeVar("T")
#: A setting that ``IRRITANTS_<NAME>`` may override, e.g. ``CONTACT_RETENTION_DAYS: Env[Count] = 365``.
Env = Annotated[T, FROM_ENVIRONMENT]
#: A whole number, zero or more.
Count = Annotated[int, Min(0)]
#: A whole number, one or more.
Positive = Annotated[int, Min(1)]
#: A number of seconds, zero or more.
Seconds = Annotated[float, Min(0)]
#: A share, from 0 to 1 (0.3: 30 %).
Share = Annotated[float, Min(0), Max(1)]


# --- reading a value by its declaration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """What the annotation of a setting says: its type, whether it may be None, its least value, its variable."""

    kind: Any
    optional: bool = False
    least: float | None = None
    from_environment: bool = False
    most: float | None = None


@cache
def declarations_of(cls: type) -> dict[str, Declared]:
    """Each setting of a configuration class, read from its annotation."""
    out = {}
    for name, hint in typing.get_type_hints(cls, include_extras=True).items():
        kind, meta = _strip(hint)
        optional = False
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(kind) if m is not type(None)]
            optional = len(members) < len(typing.get_args(kind))
            if len(members) != 1:
                raise TypeError(f"{name}: une seule sorte de valeur par paramètre")
            kind, more = _strip(members[0])
            meta = (*meta, *more)
        least = next((m.value for m in meta if isinstance(m, Min)), None)
        most = next((m.value for m in meta if isinstance(m, Max)), None)
        out[name] = Declared(kind, optional, least, any(m is FROM_ENVIRONMENT for m in meta), most)
    return out


def _strip(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(hint) is Annotated:
        return hint.__origin__, tuple(hint.__metadata__)
    return hint, ()


#: How a yes/no setting may be written (any case).
TRUE_WORDS, FALSE_WORDS = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def parse(declared: Declared, raw: str) -> Any:
    """The value of a setting written as text (an environment variable); ValueError in French when it does not fit."""
    kind, text = declared.kind, raw.strip()
    if kind is str:
        value: Any = raw
    elif kind is bool:
        if text.lower() not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError(f"oui/non attendu (true, false, 1, 0, yes, no, on, off), reçu {raw!r}")
        value = text.lower() in TRUE_WORDS
    elif kind is int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"nombre entier attendu, reçu {raw!r}") from None
    elif kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"nombre attendu, reçu {raw!r}") from None
    elif kind is dt.date:
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"date AAAA-MM-JJ attendue, reçu {raw!r}") from None
    elif isinstance(kind, type) and issubclass(kind, enum.Enum):
        value = _member(kind, text)
    elif kind is Weights:
        value = Weights.from_json(text)
    else:
        raise ValueError(f"ne peut pas être lu d'une variable d'environnement ({kind!r})")
    return check(declared, value)


def check(declared: Declared, value: Any) -> Any:
    """A value given in Python (defaults, create_app's overrides), converted where the conversion is lossless."""
    kind = declared.kind
    if value is None and declared.optional:
        return None
    if isinstance(value, str) and not isinstance(value, kind):
        return parse(declared, value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    elif isinstance(kind, type) and issubclass(kind, enum.Enum) and not isinstance(value, kind):
        value = _member(kind, value)
    elif kind is Weights and isinstance(value, Mapping):
        value = Weights.from_mapping(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{_KIND_NAMES.get(kind, getattr(kind, '__name__', kind))} attendu, reçu {value!r}")
    if kind is float and not math.isfinite(value):
        raise ValueError(f"nombre fini attendu, reçu {value!r}")
    if declared.least is not None and value < declared.least:
        raise ValueError(f"au moins {declared.least:g} attendu, reçu {value!r}")
    if declared.most is not None and value > declared.most:
        raise ValueError(f"au plus {declared.most:g} attendu, reçu {value!r}")
    return value


_KIND_NAMES = {str: "texte", bool: "oui/non", int: "nombre entier", float: "nombre", dt.date: "date"}


def _member(kind: type[enum.Enum], value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ValueError(f"une valeur parmi {allowed} attendue, reçu {value!r}") from None
