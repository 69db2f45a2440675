"""House rules of DESIGN.md, enforced: views → services → models; pure cores; services never commit;
only config.py reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "irritants"
FILES = sorted(p for p in PACKAGE.rglob("*.py"))
PURE = ("clustering", "ranking", "status.py")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_has_modules_to_check():
    assert len(FILES) > 10


@pytest.mark.parametrize("path", [p for p in FILES if p.name in ("services.py", "models.py", "schemas.py")], ids=rel)
def test_services_models_and_schemas_do_not_import_flask(path):
    assert not {m for m in imports_of(path) if m == "flask" or m.startswith("flask.")}


@pytest.mark.parametrize("path", [p for p in FILES if p.name == "models.py" and p.parent != PACKAGE], ids=rel)
def test_models_import_only_the_db_layer_the_status_vocabulary_and_other_models(path):
    own = {m for m in imports_of(path) if m.startswith("irritants")}
    assert all(m in ("irritants.db", "irritants.status") or m.endswith(".models") for m in own), own


@pytest.mark.parametrize("path", [p for p in FILES if p.name == "services.py"], ids=rel)
def test_services_never_commit(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "commit"
    ]
    assert not calls, "the view or CLI command owns the transaction"


@pytest.mark.parametrize("path", [p for p in FILES if p.name != "config.py"], ids=rel)
def test_only_config_reads_the_environment(path):
    assert "os.environ" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if any(part in PURE for part in p.relative_to(PACKAGE).parts) or p.name == "metrics.py"],
    ids=rel,
)
def test_pure_cores_import_no_framework(path):
    forbidden = {m for m in imports_of(path) if m.split(".")[0] in {"flask", "sqlalchemy", "requests", "werkzeug"}}
    assert not forbidden


def test_modules_stay_small():
    too_long = [rel(p) for p in FILES if len(p.read_text(encoding="utf-8").splitlines()) > 450]
    assert not too_long
