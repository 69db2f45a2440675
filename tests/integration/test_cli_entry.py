"""The ``irritants`` console entry: the project's version, a help that builds no app, counts in French."""

from __future__ import annotations

import re

from click.testing import CliRunner

from irritants.cli import main


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
