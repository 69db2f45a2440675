"""French wording for messages: numbers with French separators, and plurals (« 1 texte », « 2 textes »)."""

from __future__ import annotations

NNBSP = "\u202f"  # narrow no-break space: the French thousands separator


def number(value: float, decimals: int = 0) -> str:
    """« 12 345 », « 3,5 »: narrow no-break space between thousands, decimal comma."""
    return f"{value:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")


def agree(n: float, singular: str, several: str) -> str:
    """The form that agrees with n: in French, 0 and 1 take the singular."""
    return singular if abs(n) < 2 else several


def plural(n: float, singular: str, several: str) -> str:
    """« 0 texte », « 1 texte », « 2 textes »."""
    return f"{number(n)} {agree(n, singular, several)}"
