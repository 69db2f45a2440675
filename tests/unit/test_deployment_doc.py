"""docs/deployment.md lists every environment variable the service reads, and README names none that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from irritants import config

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"`(IRRITANTS_[A-Z0-9_]+)`")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = re.search(r"^#{2,3} ", text[start + len(heading) :], flags=re.MULTILINE)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def _first_cells(table: str) -> set[str]:
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names |= set(VARIABLE.findall(line.split("|")[1]))
    return names


def declared_variables() -> set[str]:
    """IRRITANTS_ENV, and IRRITANTS_<NAME> for every setting the environment may override."""
    return {"IRRITANTS_ENV"} | {
        config.ENV_PREFIX + name for name, how in config.declarations().items() if how.from_environment
    }


def test_the_deployment_table_lists_every_variable_of_config_and_no_other() -> None:
    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    listed = _first_cells(_section(doc, "### Every variable"))
    assert sorted(declared_variables() - listed) == [], "missing from docs/deployment.md"
    assert sorted(listed - declared_variables()) == [], "not a setting of irritants/config/declared.py"


def test_every_variable_the_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(VARIABLE.findall(readme)) - {"IRRITANTS_TEST_DATABASE_URL", "IRRITANTS_REQUIRE_BROWSER"}
    assert sorted(named - declared_variables()) == []
