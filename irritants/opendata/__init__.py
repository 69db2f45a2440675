"""Open data in the style of data.gouv.fr: an anonymised dataset of the public irritants and of the reports received
each week (small counts left out), with a Frictionless Table Schema per file and a ``datapackage.json``.

``dataset.py`` reads the rows (GROUP BY in the database), ``schemas.py`` describes them, ``files.py`` turns both into
the bytes that the ``opendata`` command writes (``cli.py``) and ``public/opendata.py`` serves under
``/statistiques/donnees/``. docs/opendata.md describes the files, the columns and the suppression rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: the command is listed in ``DOMAINS``, the downloads are a blueprint of ``public``."""
