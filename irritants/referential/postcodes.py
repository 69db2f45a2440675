"""Which département a French postcode belongs to, from the communes' postcodes shipped in ``data/postcodes.csv``.

The table (built by ``scripts/build_geography.py`` from @etalab/decoupage-administratif) settles what the first
digits alone get wrong: Corsica (20xxx → 2A or 2B by commune), Saint-Barthélemy (97133) and Saint-Martin (97150),
which are not départements of the référentiel (→ None), and the few postcodes whose communes lie in two
départements (→ the one holding most of their inhabitants; e.g. 52100 Saint-Dizier → 52, not 51).

A well-formed postcode missing from the table (a CEDEX code such as 75700, a code created after the vintage) falls
back to its leading digits when they name a département: 01–95, 2A below 20200 and 2B from 20200, 971–974 and
976. Anything else (00xxx, 96xxx, 975xx, 98xxx, 99xxx) is None.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

# Five digits standing alone: not inside a longer number (a phone number, a SIRET), whatever surrounds them
# ("F-75011", "75011Paris").
_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_METROPOLITAN = {f"{number:02d}" for number in range(1, 96)} - {"20"}
_OVERSEAS = {"971", "972", "973", "974", "976"}


@functools.cache
def postcode_table() -> dict[str, str | None]:
    """Postcode → département code (None: a territory that is not a département of the référentiel)."""
    path = resources.files("irritants.referential").joinpath("data", "postcodes.csv")
    with path.open(encoding="utf-8") as fh:
        return {row["postcode"]: row["departement"] or None for row in csv.DictReader(fh)}


def _by_digits(postcode: str) -> str | None:
    if postcode[:2] in _METROPOLITAN:
        return postcode[:2]
    if postcode[:2] == "20":
        return "2A" if postcode < "20200" else "2B"
    if postcode[:3] in _OVERSEAS:
        return postcode[:3]
    return None


def departement_of_postcode(text: str) -> str | None:
    """The département of the first postcode in ``text`` (an address line or a bare postcode); None if none.

    A 5-digit number the table knows wins over one it does not ("BP 90001 75011 Paris" → 75); with none known,
    the first well-formed one decides by its digits (CEDEX codes)."""
    candidates = _POSTCODE.findall(text or "")
    table = postcode_table()
    for postcode in candidates:
        if postcode in table:
            return table[postcode]
    for postcode in candidates:
        found = _by_digits(postcode)
        if found is not None:
            return found
    return None
