"""French wording for messages: numbers with French separators, plurals (« 1 texte », « 2 textes ») and times as
read in metropolitan France."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NNBSP = "\u202f"  # narrow no-break space: the French thousands separator
PARIS = ZoneInfo("Europe/Paris")


def number(value: float, decimals: int = 0) -> str:
    """« 12 345 », « 3,5 »: narrow no-break space between thousands, decimal comma."""
    return f"{value:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")


def agree(n: float, singular: str, several: str) -> str:
    """The form that agrees with n: in French, 0 and 1 take the singular."""
    return singular if abs(n) < 2 else several


def plural(n: float, singular: str, several: str) -> str:
    """« 0 texte », « 1 texte », « 2 textes »."""
    return f"{number(n)} {agree(n, singular, several)}"


def to_paris_time(moment: dt.datetime) -> dt.datetime:
    """Show stored UTC times in the time of metropolitan France."""
    return moment.astimezone(PARIS)


def midnight(day: dt.date) -> dt.datetime:
    """The midnight that starts ``day`` in metropolitan France, as a UTC moment (a bound on stored times: a Paris day
    is ``[midnight(day), midnight(day + 1))``, 23 or 25 hours on the days the clocks change)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=PARIS).astimezone(dt.UTC)


def today() -> dt.date:
    """Today in metropolitan France: the day people there live (phases, sprints, fixes are dated by it)."""
    return dt.datetime.now(dt.UTC).astimezone(PARIS).date()
