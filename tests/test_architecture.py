"""House rules of DESIGN.md and docs/architecture.md, enforced on the source, by role rather than by file name:

- Flask only at the edge: the doors (API, citizen and static pages), views, commands, app wiring, boundaries;
- a transaction is opened and ended at a boundary, never by whoever was handed the session;
- no module imports another domain's views;
- imports point down the declared layers, and there is no import cycle between modules or packages;
- pure cores, models and services keep to what they are (and only the config package reads the environment).

Each rule is a function of a source tree, proven on the real package and on small bad trees built in tmp_path.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.python_source import parse

PACKAGE = Path(__file__).resolve().parents[1] / "irritants"
FILES = sorted(p for p in PACKAGE.rglob("*.py"))
PURE = ("clustering", "ranking", "effect", "metrics", "status.py", "charts.py")

# The layers of docs/architecture.md, top to bottom. A unit (a domain package, a root module, or the app wiring)
# imports only units of lower layers; within the app wiring, "shared" and "pure", units may import one another
# (without cycles).
# The WSGI entry and gunicorn's settings, and Alembic's environment and revisions (inside the package so that a wheel
# carries them), sit with the wiring: they build or describe the whole app.
WIRING = (
    "irritants",
    "irritants.cli",
    "irritants.commands",
    "irritants.models",
    "irritants.wsgi",
    "irritants.gunicorn_conf",
    "irritants.migrations",
)
LAYERS: tuple[tuple[str, ...], ...] = (
    WIRING,
    (
        "irritants.public",
        "irritants.api",
        "irritants.open311",
        "irritants.pages",
        "irritants.teams",
        "irritants.monitoring",
    ),
    ("irritants.opendata",),
    ("irritants.exports",),
    ("irritants.insights",),
    ("irritants.notify",),
    ("irritants.webhooks",),
    ("irritants.privacy",),
    ("irritants.moderation",),
    ("irritants.triage",),
    ("irritants.answers",),
    ("irritants.feedback",),
    ("irritants.conversations",),
    ("irritants.clusters",),
    ("irritants.intake",),
    ("irritants.auth",),
    ("irritants.squads",),
    ("irritants.outbox",),
    ("irritants.audit", "irritants.referential", "irritants.partners"),
    (
        "irritants.accesslog",
        "irritants.background",
        "irritants.charts",
        "irritants.config",
        "irritants.db",
        "irritants.errorreport",
        "irritants.errors",
        "irritants.events",
        "irritants.extensions",
        "irritants.forms",
        "irritants.france_map",
        "irritants.french",
        "irritants.inputs",
        "irritants.jobs",
        "irritants.locks",
        "irritants.logs",
        "irritants.migrate",
        "irritants.outages",
        "irritants.paging",
        "irritants.periodic",
        "irritants.people",
        "irritants.progress",
        "irritants.ratelimit_store",
        "irritants.sanitize",
        "irritants.setting_types",
        "irritants.settings",
        "irritants.tokens",
    ),
    ("irritants.status", "irritants.clustering", "irritants.ranking", "irritants.effect", "irritants.metrics"),
)
SAME_LAYER_ALLOWED = {"app wiring": LAYERS[0], "shared": LAYERS[-2], "pure": LAYERS[-1]}
DOORS = LAYERS[1]
# Known exceptions, each with its reason. A stale one fails the build too: remove it when its reason goes.
UPWARD_EXCEPTIONS: dict[tuple[str, str], str] = {}
CYCLE_EXCEPTIONS: set[frozenset[str]] = set()
HANDED_SESSION_EXCEPTIONS = {
    # A reference collision (one in 10^13) rolls back the report's own insert: by contract the first write of its
    # transaction (the submit boundary calls nothing before it).
    ("irritants.intake.services", "submit_report"),
}
FLASK = ("flask", "flask_limiter", "flask_login", "flask_smorest", "flask_talisman", "flask_wtf")
OPENS_SESSION = {"get_session", "get_db", "session_scope", "read_sessions", "write_sessions"}
ENDS_TRANSACTION = {"commit", "rollback"}


# --- reading a source tree ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def unit(self) -> str:
        return self.name if self.name in WIRING else ".".join(self.name.split(".")[:2])


def read_tree(package: Path) -> dict[str, Module]:
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = Module(name, path, parse(path))
    return modules


def _type_checking_ids(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return hidden


def raw_imports(module: Module) -> set[str]:
    """Names imported anywhere in the module (function-level included, TYPE_CHECKING blocks excluded)."""
    hidden, names = _type_checking_ids(module.tree), set()
    for node in ast.walk(module.tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
                base = ".".join(parent[: len(parent) - node.level + 1] + ([node.module] if node.module else []))
            # ``from pkg import name``: the submodule ``pkg.name`` if there is one, else ``pkg`` (see own_imports).
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def own_imports(module: Module, modules: dict[str, Module]) -> set[str]:
    """The package's modules this one imports (``from pkg import submodule`` counts as the submodule)."""
    found = set()
    for name in raw_imports(module):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module.name:
            found.add(name)
    return found


def imports_flask(module: Module) -> bool:
    return any(name.split(".")[0] in FLASK for name in raw_imports(module))


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls in ``node``, not those of functions defined inside it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Call):
            yield child
        yield from _calls(child)


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


# --- roles -------------------------------------------------------------------------------------------------------


def defines_routes(module: Module) -> bool:
    """Views: it makes a blueprint or adds routes to one."""
    return any(_called(c) in ("Blueprint", "add_url_rule") for c in ast.walk(module.tree) if isinstance(c, ast.Call))


def defines_commands(module: Module) -> bool:
    """Command line: click commands or groups."""
    for fn in _functions(module.tree):
        for decorator in fn.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
                return True
    return False


def plugs_into_the_app(module: Module) -> bool:
    """App wiring: the app factory and CLI root, a package's ``init_app``, the unbound extensions, or code handed the
    app itself (the background jobs, the runner)."""
    if module.unit in WIRING or module.is_package or module.path.name == "extensions.py":
        return True
    for fn in _functions(module.tree):
        args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
        if fn.name == "init_app" or any("Flask" in ast.unparse(a.annotation) for a in args if a.annotation):
            return True
    return False


def is_boundary(module: Module) -> bool:
    """A transaction boundary: some function opens a session and ends the transaction itself."""
    for fn in _functions(module.tree):
        called = {_called(c) for c in _calls(fn)}
        if called & OPENS_SESSION and called & ENDS_TRANSACTION:
            return True
    return False


def is_door(module: Module) -> bool:
    return module.unit in DOORS


# --- the rules: each returns what breaks it ----------------------------------------------------------------------


def flask_outside_the_edge(modules: dict[str, Module]) -> list[str]:
    """Flask only in the doors, views, commands, app wiring and transaction boundaries."""
    return [
        m.name
        for m in modules.values()
        if imports_flask(m)
        and not (is_door(m) or defines_routes(m) or defines_commands(m) or plugs_into_the_app(m) or is_boundary(m))
    ]


def transactions_outside_boundaries(modules: dict[str, Module], exceptions: set | None = None) -> list[str]:
    """Whoever opens the transaction ends it: never a function handed the session; never a module without Flask
    (services, models, schemas, pure cores are handed their session and run anywhere)."""
    exceptions = HANDED_SESSION_EXCEPTIONS if exceptions is None else exceptions
    broken = []
    for m in modules.values():
        edge = imports_flask(m) or is_door(m)
        for fn in _functions(m.tree):
            if (m.name, fn.name) in exceptions:
                continue
            params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
            for call in _calls(fn):
                name, receiver = _called(call), getattr(call.func, "value", None)
                if name in ENDS_TRANSACTION and isinstance(receiver, ast.Name) and receiver.id in params:
                    broken.append(f"{m.name}.{fn.name}:{call.lineno} ends a transaction it was handed")
                elif not edge and name in ENDS_TRANSACTION | OPENS_SESSION:
                    broken.append(f"{m.name}.{fn.name}:{call.lineno} {name}() outside a boundary")
    return broken


def views_imported_across_domains(modules: dict[str, Module]) -> list[str]:
    """No module imports another domain's views (the app wiring registers them)."""
    return [
        f"{m.name} -> {target}"
        for m in modules.values()
        if m.unit not in WIRING
        for target in own_imports(m, modules)
        if defines_routes(modules[target]) and modules[target].unit != m.unit
    ]


def layer_of(unit: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if unit in layer), None)


def arrows_the_wrong_way(modules: dict[str, Module], exceptions: dict | None = None) -> list[str]:
    """Imports point down the layers; a unit missing from LAYERS must be placed first."""
    exceptions = UPWARD_EXCEPTIONS if exceptions is None else exceptions
    broken = sorted({f"{m.unit} is in no layer" for m in modules.values() if layer_of(m.unit) is None})
    for m in modules.values():
        for target in own_imports(m, modules):
            a, b = m.unit, modules[target].unit
            la, lb = layer_of(a), layer_of(b)
            if a == b or la is None or lb is None or lb > la or (a, b) in exceptions:
                continue
            if la == lb and any(a in layer for layer in SAME_LAYER_ALLOWED.values()):
                continue
            broken.append(f"{m.name} -> {target}")
    return broken


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def import_cycles(modules: dict[str, Module]) -> list[frozenset[str]]:
    """Cycles between modules and between units (domain packages, root modules, the app wiring)."""
    graph = {m.name: own_imports(m, modules) for m in modules.values()}
    units: dict[str, set[str]] = {}
    for name, targets in graph.items():
        for target in targets:
            if modules[name].unit != modules[target].unit:
                units.setdefault(modules[name].unit, set()).add(modules[target].unit)
    return _cycles(graph) + _cycles(units)


# --- the rules on the real package -------------------------------------------------------------------------------


@functools.cache
def real_tree() -> dict[str, Module]:
    return read_tree(PACKAGE)


@pytest.fixture
def modules() -> dict[str, Module]:
    return real_tree()


def module_at(path: Path) -> Module:
    return next(m for m in real_tree().values() if m.path == path)


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_has_modules_to_check(modules):
    assert len(FILES) > 10 and len(modules) == len(FILES)


def test_flask_only_at_the_edge(modules):
    assert flask_outside_the_edge(modules) == []


def test_transactions_open_and_end_at_boundaries(modules):
    assert transactions_outside_boundaries(modules) == []


def test_no_module_imports_another_domains_views(modules):
    assert views_imported_across_domains(modules) == []


def test_imports_point_down_the_layers(modules):
    assert arrows_the_wrong_way(modules) == []


def test_no_import_cycle(modules):
    assert [c for c in import_cycles(modules) if c not in CYCLE_EXCEPTIONS] == []


def test_every_exception_is_still_needed(modules):
    assert set(UPWARD_EXCEPTIONS) <= {
        (m.unit, modules[t].unit) for m in modules.values() for t in own_imports(m, modules)
    }, "an upward import is gone: remove its exception"
    assert set(import_cycles(modules)) >= CYCLE_EXCEPTIONS, "a cycle is gone: remove its exception"
    ended = {tuple(line.split(":")[0].rsplit(".", 1)) for line in transactions_outside_boundaries(modules, set())}
    assert ended >= HANDED_SESSION_EXCEPTIONS, "a handed session is no longer ended there: remove its exception"


def test_every_domain_in_the_layers_is_plugged_in():
    from irritants import DOMAINS

    assert {d.package for d in DOMAINS} == {u for layer in LAYERS[1:-2] for u in layer}


@pytest.mark.parametrize("path", [p for p in FILES if p.name in ("services.py", "models.py", "schemas.py")], ids=rel)
def test_services_models_and_schemas_do_not_import_flask(path):
    assert not imports_flask(module_at(path))


VOCABULARIES = ("irritants.status", "irritants.squads.phases")


@pytest.mark.parametrize("path", [p for p in FILES if p.name == "models.py" and p.parent != PACKAGE], ids=rel)
def test_models_import_only_the_db_layer_the_status_vocabulary_and_other_models(path):
    # The pure vocabularies whose values columns store: irritants' statuses, squads' phases.
    own = own_imports(module_at(path), real_tree())
    assert all(m in ("irritants.db", *VOCABULARIES) or m.endswith(".models") for m in own), own


@pytest.mark.parametrize("path", [p for p in FILES if p.name == "services.py"], ids=rel)
def test_services_never_commit(path):
    tree = module_at(path).tree
    assert not [c for c in ast.walk(tree) if isinstance(c, ast.Call) and _called(c) == "commit"]


@pytest.mark.parametrize("path", [p for p in FILES if p.relative_to(PACKAGE).parts[0] != "config"], ids=rel)
def test_only_config_reads_the_environment(path):
    assert "os.environ" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if any(part in PURE for part in p.relative_to(PACKAGE).parts) or p.name == "metrics.py"],
    ids=rel,
)
def test_pure_cores_import_no_framework(path):
    imported = raw_imports(module_at(path))
    assert not {m for m in imported if m.split(".")[0] in {*FLASK, "sqlalchemy", "requests", "werkzeug"}}


def test_modules_stay_small():
    too_long = [rel(p) for p in FILES if len(p.read_text(encoding="utf-8").splitlines()) > 450]
    assert not too_long


# --- each rule catches what it is meant to: small trees built for the purpose ------------------------------------


def tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Module]:
    for name, source in {"__init__.py": "", **files}.items():
        path = tmp_path / "irritants" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(source, encoding="utf-8")
    return read_tree(tmp_path / "irritants")


def test_the_flask_rule_refuses_a_service_that_reads_the_request(tmp_path):
    modules = tree(
        tmp_path,
        {
            "triage/decisions.py": "from flask import request\n\ndef decide(session):\n    return request.form\n",
            "triage/views.py": "from flask import Blueprint\nbp = Blueprint('x', __name__)\n",
            "triage/cli.py": "import click\nfrom flask.cli import with_appcontext\n@click.command()\ndef go(): ...\n",
            "api/anything.py": "from flask import request\n",
            "clusters/jobs.py": "from flask import Flask\ndef run(app: Flask): ...\n",
        },
    )
    assert flask_outside_the_edge(modules) == ["irritants.triage.decisions"]


def test_the_transaction_rule_refuses_a_service_that_commits_what_it_was_handed(tmp_path):
    modules = tree(
        tmp_path,
        {
            "triage/decisions.py": "def decide(session):\n    session.flush()\n    session.commit()\n",
            "triage/merges.py": "from irritants.db import get_session\ndef merge():\n    get_session().flush()\n",
            "intake/accept.py": "from flask import current_app\nfrom irritants.db import get_session\n"
            "def accept():\n    db = get_session()\n    db.commit()\n",
            "triage/backoffice.py": "from flask import Blueprint\nfrom irritants.db import get_session\n"
            "bp = Blueprint('b', __name__)\ndef view():\n    get_session().commit()\n",
        },
    )
    assert transactions_outside_boundaries(modules) == [
        "irritants.triage.decisions.decide:3 ends a transaction it was handed",
        "irritants.triage.merges.merge:3 get_session() outside a boundary",
    ]


def test_the_views_rule_refuses_a_domain_borrowing_another_domains_view(tmp_path):
    modules = tree(
        tmp_path,
        {
            "triage/views.py": "from flask import Blueprint\nbp = Blueprint('t', __name__)\ndef helper(): ...\n",
            "triage/__init__.py": "def init_app(app):\n    from irritants.triage import views\n",
            "intake/views.py": "from irritants.triage.views import helper\n",
        },
    )
    assert views_imported_across_domains(modules) == ["irritants.intake.views -> irritants.triage.views"]


def test_the_layers_refuse_an_arrow_up_and_a_unit_nobody_placed(tmp_path):
    modules = tree(
        tmp_path,
        {
            "intake/services.py": "from irritants.clusters import services\n",  # intake is below clusters
            "clusters/services.py": "from irritants.intake.models import Report\nfrom irritants import db\n",
            "intake/models.py": "",
            "db.py": "from irritants import errors\n",  # shared modules may use one another
            "errors.py": "",
            "newdomain/services.py": "",
        },
    )
    assert arrows_the_wrong_way(modules, exceptions={}) == [
        "irritants.newdomain is in no layer",
        "irritants.intake.services -> irritants.clusters.services",
    ]


def test_the_cycle_rule_sees_a_cycle_through_a_function_level_import(tmp_path):
    modules = tree(
        tmp_path,
        {
            "jobs.py": "def work():\n    from irritants.clusters import jobs\n",
            "clusters/jobs.py": "from irritants import jobs\n",
            "clusters/engine.py": "from irritants.clusters import jobs\n",
        },
    )
    assert frozenset({"irritants.jobs", "irritants.clusters.jobs"}) in import_cycles(modules)
    assert frozenset({"irritants.jobs", "irritants.clusters"}) in import_cycles(modules)
