"""The wheel runs on its own (docs/deployment.md, « Installing from the wheel »): build it from the tracked files, check
that it holds every file of the package, install it in a fresh virtual environment, run ``irritants setup`` in an
empty folder, start gunicorn with the packaged settings (``-c python:irritants.gunicorn_conf irritants.wsgi:app``) and
GET /readyz → 200. Prints the time of each step; exits 1 with the reason on the first thing that fails.

The fresh environment gets the wheel alone (``--no-deps``) and, for its dependencies, one ``.pth`` line naming the
site-packages of the project's .venv: a path line adds the folder without running the ``.pth`` files inside it, so the
project's editable install is not picked up — checked: ``irritants`` must be imported from the fresh environment.

    ./scripts/check_wheel              # or: .venv/bin/python scripts/check_wheel.py [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_REPORTS = 50
READY_TIMEOUT_S = 45
APP = "irritants.wsgi:app"
# What a build reads: the package and its metadata (setup.cfg's long description is the README).
BUILD_INPUTS = ("irritants/", "setup.cfg", "pyproject.toml", "README.md")


class CheckFailed(RuntimeError):
    pass


def run(cmd: list[str], what: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise CheckFailed(f"{what} a échoué ({result.returncode}) :\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def tracked_files() -> list[str]:
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], "git ls-files", cwd=ROOT)
    return [name for name in listed.stdout.split("\0") if name and (ROOT / name).is_file()]


def copy_sources(files: list[str], target: Path) -> None:
    """What a build of a fresh clone reads: no build/ leftovers, no instance folder, no egg-info."""
    for name in (f for f in files if f.startswith(BUILD_INPUTS)):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)


def build_wheel(source: Path, dist: Path) -> Path:
    run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)],
        "pip wheel",
    )
    wheels = list(dist.glob("irritants-*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"une roue attendue dans {dist}, trouvé : {wheels}")
    return wheels[0]


def check_contents(wheel: Path, files: list[str]) -> int:
    """Every tracked file of the package (modules, templates, DSFR files, référentiel, migrations) is in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
    package = {name for name in files if name.startswith("irritants/") and "__pycache__" not in name}
    missing = sorted(package - inside)
    if missing:
        raise CheckFailed(f"{len(missing)} fichiers du paquet manquent dans la roue : {missing[:20]}")
    for needed in ("irritants/migrations/env.py", "irritants/migrations/script.py.mako", "irritants/gunicorn_conf.py"):
        if needed not in inside:
            raise CheckFailed(f"{needed} manque dans la roue")
    return len(package)


def make_venv(folder: Path, wheel: Path) -> Path:
    run([sys.executable, "-m", "venv", "--without-pip", str(folder)], "python -m venv")
    python = folder / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-compile",
            "-q",
            str(wheel),
        ],
        "pip install",
    )
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], "purelib")
    (Path(purelib.stdout.strip()) / "_project_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return python


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    """Nothing of the caller's settings (IRRITANTS_*, PYTHONPATH, a virtual environment) leaks into the check."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "pas de réponse"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CheckFailed(f"gunicorn s'est arrêté ({server.returncode}) :\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            last = f"{exc.code} {exc.read()[:300]!r}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise CheckFailed(f"/readyz n'a pas répondu 200 en {READY_TIMEOUT_S} s ({last}) :\n{log.read_text()[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="garder le dossier temporaire (pour y regarder)")
    args = parser.parse_args()
    started = time.monotonic()
    steps: list[tuple[str, float]] = []

    def step(name: str, since: float) -> float:
        now = time.monotonic()
        steps.append((name, now - since))
        print(f"  {name} : {now - since:.1f} s", flush=True)
        return now

    work = Path(tempfile.mkdtemp(prefix="irritants-wheel-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        print(f"→ Roue autonome (dossier de travail {work})", flush=True)
        files = tracked_files()
        source, empty = work / "source", work / "empty"
        copy_sources(files, source)
        wheel = build_wheel(source, work / "dist")
        count = check_contents(wheel, files)
        t = step(
            f"roue construite, {count} fichiers du paquet présents ({wheel.name}, {wheel.stat().st_size // 1024} Kio)",
            started,
        )

        python = make_venv(work / "venv", wheel)
        empty.mkdir()
        # A small demo, clustered by TF-IDF, and no model loaded by the web workers: the check is about the install,
        # and stays well under a minute on CI's two cores (the embedding model has its own tests).
        env = clean_environment(
            {
                "IRRITANTS_ENV": "development",
                "IRRITANTS_LOG_FORMAT": "text",
                "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
                "IRRITANTS_PRELOAD_ENCODER": "false",
                "WORKERS": "1",
            }
        )
        # Where `import irritants` would load it from (find_spec runs nothing of the package).
        code = "import importlib.util; print(importlib.util.find_spec('irritants').origin)"
        where = run([str(python), "-c", code], "import irritants", cwd=empty, env=env)
        imported = Path(where.stdout.strip())
        if not imported.is_relative_to(work / "venv"):
            raise CheckFailed(f"irritants importé de {imported}, pas de l'environnement neuf {work / 'venv'}")
        t = step(f"environnement neuf, irritants importé de {imported.relative_to(work)}", t)

        irritants = work / "venv" / "bin" / "irritants"
        run([str(irritants), "setup", "--demo-reports", str(DEMO_REPORTS)], "irritants setup", cwd=empty, env=env)
        for kept in ("irritants.sqlite3", "secret_key", "comptes-demo.txt"):
            if not (empty / "instance" / kept).is_file():
                raise CheckFailed(f"{kept} n'est pas dans ./instance du dossier de lancement")
        strays = [p for p in (work / "venv").rglob("*") if p.name in ("instance", "irritants.sqlite3", "secret_key")]
        if strays:
            raise CheckFailed(f"état local écrit dans l'environnement installé : {strays}")
        t = step(f"irritants setup ({DEMO_REPORTS} signalements de démonstration) dans un dossier vide", t)

        port = free_port()
        log = work / "gunicorn.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(python), "-m", "gunicorn", "-c", "python:irritants.gunicorn_conf", "-b", f"127.0.0.1:{port}", APP],
                cwd=empty,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        state = wait_ready(f"http://127.0.0.1:{port}/readyz", server, log)
        if state.get("status") != "ok":
            raise CheckFailed(f"/readyz : {state}")
        t = step(f"gunicorn (réglages du paquet) : GET /readyz → 200 {json.dumps(state)}", t)
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=15) != 0:
            raise CheckFailed(f"gunicorn s'est mal arrêté ({server.returncode}) :\n{log.read_text()[-3000:]}")
        server = None
        step("gunicorn arrêté", t)
    except CheckFailed as exc:
        print(f"✗ ÉCHEC : {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        if args.keep:
            print(f"(dossier gardé : {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"✓ Roue autonome : {time.monotonic() - started:.1f} s en tout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
