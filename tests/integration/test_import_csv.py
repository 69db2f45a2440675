"""`irritants import FILE.csv`: validate every row, import all or nothing, idempotent on re-run."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from irritants.db import get_db
from irritants.intake.models import Report, Source

HEADER = "id,title,description,structure,typology,feeling,date,departement,canal\n"
GOOD = [
    '1,RSA bloqué,"Mon dossier de RSA est bloqué depuis trois mois sans réponse.",'
    "CAF,délai,negatif,12/03/2026,59,telephone\n",
    '2,Rendez-vous,"Aucun créneau disponible pour renouveler mon titre de séjour.",'
    "prefecture,accès,negatif,2026-04-01,13,internet\n",
    '3,IBAN,"Le formulaire refuse mon IBAN pourtant valide, impossible de valider.",'
    "Caisse d'allocations familiales,,neutre,,2A,en ligne\n",
]


def _write(tmp_path: Path, rows: list[str], name: str = "sp_plus.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _reports(app) -> list[Report]:
    with app.app_context(), get_db(app).session_scope() as s:
        return list(s.scalars(select(Report).order_by(Report.id)))


def test_valid_file_is_imported_with_its_columns_mapped(app, runner, tmp_path):
    result = runner.invoke(args=["import", str(_write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    assert "3 signalements importés" in result.output
    reports = _reports(app)
    assert len(reports) == 3
    assert {r.source for r in reports} == {Source.IMPORT}
    first = reports[0]
    assert first.description.startswith("RSA bloqué\n\nMon dossier de RSA")
    assert first.administration.slug == "caf" and first.territory_code == "59" and first.channel_code == "telephone"
    assert first.occurred_on.isoformat() == "2026-03-12"
    assert first.severity.value == "perte_de_temps"  # negative feeling
    assert reports[2].administration.slug == "caf"  # matched by full name
    assert reports[2].territory_code == "2A"


def test_reimporting_the_same_file_adds_nothing(app, runner, tmp_path):
    path = _write(tmp_path, GOOD)
    runner.invoke(args=["import", str(path)])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 déjà importées" in result.output
    assert len(_reports(app)) == 3


def test_a_file_with_an_invalid_row_imports_nothing_and_says_where(app, runner, tmp_path):
    bad = '4,Court,"trop court",CAF,,negatif,2099-01-01,99,telephone\n'
    result = runner.invoke(args=["import", str(_write(tmp_path, [*GOOD, bad]))])
    assert result.exit_code != 0
    assert "ligne 5 · description" in result.output
    assert "ligne 5 · territory" in result.output
    assert "ligne 5 · occurred_on" in result.output
    assert "Rien n'a été importé" in result.output
    assert _reports(app) == []


def test_skip_invalid_imports_the_valid_rows(app, runner, tmp_path):
    bad = '4,X,"Une description assez longue mais une administration inconnue.",Ministère des Licornes,,,,75,internet\n'
    result = runner.invoke(args=["import", str(_write(tmp_path, [*GOOD, bad])), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "ligne 5 · administration · administration inconnue" in result.output
    assert len(_reports(app)) == 3


def test_custom_column_mapping_and_defaults(app, runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Texte;Organisme\nLa plateforme plante quand je déclare mes revenus.;DGFiP\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "import",
            str(path),
            "--map",
            "description=Texte",
            "--map",
            "administration=Organisme",
            "--default",
            "territory=75",
            "--default",
            "channel=en_ligne",
            "--delimiter",
            ";",
        ]
    )
    assert result.exit_code == 0, result.output
    (report,) = _reports(app)
    assert report.territory_code == "75" and report.channel_code == "en_ligne"


def test_missing_mapped_column_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["import", str(_write(tmp_path, GOOD)), "--map", "description=Nope"])
    assert result.exit_code != 0
    assert "colonne « Nope » absente" in result.output


def test_dry_run_writes_nothing(app, runner, tmp_path):
    result = runner.invoke(args=["import", str(_write(tmp_path, GOOD)), "--dry-run"])
    assert result.exit_code == 0
    assert _reports(app) == []


def test_control_characters_in_any_column_are_refused_row_by_row(app, runner, tmp_path):
    # PostgreSQL text cannot hold NUL: the file's own id (kept as the external key) was a crash there.
    bad = ['4\x00,RSA,"Mon dossier de RSA est bloqué depuis trois mois sans réponse.",CAF,,,,59,telephone\n']
    bad.append('5,RSA,"Mon dossier de RSA est bloqué\x01 depuis trois mois sans réponse.",CAF,,,,59,telephone\n')
    result = runner.invoke(args=["import", str(_write(tmp_path, [*GOOD, *bad])), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "ligne 5 · external_id · caractère non autorisé (U+0000)" in result.output
    assert "ligne 6 · description · caractère non autorisé (U+0001)" in result.output
    assert len(_reports(app)) == 3
