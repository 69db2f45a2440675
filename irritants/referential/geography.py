"""The département map and populations shipped with the référentiel (``data/``; sources in ``data/README.md``).

They are bundled files, read once per process: the shapes of the 101 départements for ``france_map`` and the INSEE
populations (the ``population`` column of ``territories.csv``) that turn counts into rates per 100,000 inhabitants.
No table holds them: they change with a new vintage of the files, not at run time.

Where a report is, for clients that give no département: ``departement_of_postcode`` (``postcodes.py``) and
``departement_at`` (``locating.py``), re-exported here; see docs/geography.md.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Mapping, Sequence

from irritants import france_map
from irritants.charts import number_fr
from irritants.referential.locating import departement_at
from irritants.referential.postcodes import departement_of_postcode
from irritants.referential.services import _data_file

__all__ = [
    "departement_at",
    "departement_of_postcode",
    "geometry",
    "names",
    "populations",
    "reports_map",
]


@functools.cache
def geometry() -> france_map.Geometry:
    """The outlines of the 101 départements (overseas ones as insets), in the map's pixels."""
    return france_map.Geometry.from_json(_data_file("france_departements.json").read_text(encoding="utf-8"))


@functools.cache
def _territories() -> tuple[dict[str, str], dict[str, int]]:
    with _data_file("territories.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {row["code"]: row["name"] for row in rows}, {row["code"]: int(row["population"]) for row in rows}


def names() -> Mapping[str, str]:
    """Département code → name, as the bundled référentiel writes it."""
    return _territories()[0]


def populations() -> Mapping[str, int]:
    """Département code → INSEE municipal population (see ``data/README.md`` for the vintage)."""
    return _territories()[1]


def reports_map(
    counts: Mapping[str, int],
    *,
    title: str,
    link: Callable[[str], str | None] | None = None,
    codes: Sequence[str] | None = None,
) -> france_map.FranceMap:
    """The map of reports per 100,000 inhabitants from counts by département code, with the counts and the
    populations in its table; ``codes``: only these départements have a value (the others « sans donnée »: e.g. the
    figures are filtered to one region)."""
    population = populations()
    if codes is not None:
        population = {code: population[code] for code in codes if code in population}
    rates = france_map.per_inhabitants(counts, population)
    return france_map.choropleth(
        geometry(),
        names(),
        rates,
        title=title,
        link=link,
        columns=(
            ("Signalements", {code: number_fr(counts.get(code, 0)) for code in population}),
            ("Habitants", {code: number_fr(value) for code, value in population.items()}),
        ),
    )
