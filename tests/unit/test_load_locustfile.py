"""The load test's locustfile (scripts/load/locustfile.py) asks for routes the app has, with the right methods."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from irritants.config import PROJECT_ROOT

LOCUSTFILE = PROJECT_ROOT / "scripts" / "load" / "locustfile.py"
# The kinds of request are named « METHOD /path », with [id], [jeton] and [slug] standing for any value.
_KIND = re.compile(r'"(GET|POST) (/[^" ]*)')
SAMPLES = {"[id]": "7", "[jeton]": "AbCdEfGhIjKlMnOpQrStUv", "[slug]": "rendez-vous-prefecture"}


def kinds() -> list[tuple[str, str]]:
    return sorted(set(_KIND.findall(LOCUSTFILE.read_text(encoding="utf-8"))))


def test_the_locustfile_names_every_kind_of_the_mix() -> None:
    paths = {path for _, path in kinds()}
    assert paths >= {
        "/",
        "/api/v1/similar",
        "/confirmation",
        "/suivi/[jeton]",
        "/irritants",
        "/irritants/[id]",
        "/agents/connexion",
        "/agents/irritants",
        "/agents/equipes/[slug]",
        "/agents/equipes/[slug]/elements/[id]/etat",
        "/agents/tableau-de-bord",
    }


@pytest.mark.parametrize(("method", "path"), kinds())
def test_every_kind_targets_a_route_of_the_app(app, method: str, path: str) -> None:
    for placeholder, sample in SAMPLES.items():
        path = path.replace(placeholder, sample)
    try:
        app.url_map.bind("localhost").match(path, method=method)
    except (NotFound, MethodNotAllowed) as err:
        pytest.fail(f"{method} {path} : {err}")


_CHECKS = """
import importlib.util, sys, pathlib
spec = importlib.util.spec_from_file_location("irritants_locustfile", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
administration, text = module.a_report_text()
assert administration and len(text) >= module.MIN_SEARCH_CHARS, text
page = '<input type="hidden" name="csrf_token" value="a&amp;b"><input name="form_token" value="t">'
assert module.hidden_inputs(page) == {"csrf_token": "a&b", "form_token": "t"}
accounts = pathlib.Path(sys.argv[2])
accounts.write_text("Pilotage (démo)                pilotage@demo.irritants.fr       s3cr-et_\\n", encoding="utf-8")
assert module.demo_accounts(accounts) == {"pilotage": ("pilotage@demo.irritants.fr", "s3cr-et_")}
users = sorted(name for name, value in vars(module).items() if getattr(value, "tasks", None) and not value.abstract)
print(" ".join(users))
"""


def test_the_locustfile_loads_and_builds_forms_and_texts(tmp_path) -> None:
    if importlib.util.find_spec("locust") is None:  # never imported here: it patches the standard library for gevent
        pytest.skip("the load extra (pip install -e '.[load]') is not installed")
    done = subprocess.run(
        [sys.executable, "-c", _CHECKS, str(LOCUSTFILE), str(tmp_path / "comptes-demo.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Manager", "ProductOwner", "Reader", "Reporter", "SquadMember"]
