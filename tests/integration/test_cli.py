"""Set-up commands: reference data and demo data."""

from __future__ import annotations

from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Report, ReportContact, Source
from irritants.referential.models import Administration, Territory


def _count(app, model) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_load_reference_is_idempotent(app, runner):
    before = (_count(app, Territory), _count(app, Administration))
    result = runner.invoke(args=["load-reference"])
    assert result.exit_code == 0, result.output
    assert (_count(app, Territory), _count(app, Administration)) == before
    assert before[0] == 101


def test_demo_data_is_deterministic_for_a_seed(app, runner):
    def snapshot():
        with app.app_context(), get_db(app).session_scope() as s:
            return [
                (r.description, r.administration_id, r.territory_code, r.severity)
                for r in s.scalars(select(Report).order_by(Report.id))
            ]

    assert runner.invoke(args=["demo-data", "--reports", "300", "--seed", "5"]).exit_code == 0
    first = snapshot()
    with app.app_context(), get_db(app).engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM report_contacts")
        conn.exec_driver_sql("DELETE FROM reports")
    assert runner.invoke(args=["demo-data", "--reports", "300", "--seed", "5"]).exit_code == 0
    assert snapshot() == first
    assert len(first) == 300
    assert len({d for d, *_ in first}) > 250  # varied wording


def test_demo_data_makes_demo_reports_with_some_contacts(app, runner):
    result = runner.invoke(args=["demo-data", "--reports", "500", "--seed", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context(), get_db(app).session_scope() as s:
        sources = set(s.scalars(select(Report.source).distinct()))
        administrations = s.scalar(select(func.count(Report.administration_id.distinct())))
        territories = s.scalar(select(func.count(Report.territory_code.distinct())))
    assert sources == {Source.DEMO}
    assert administrations >= 10 and territories >= 40
    assert 0 < _count(app, ReportContact) < 500


def test_demo_data_if_empty_only_runs_on_an_empty_database(app, runner):
    runner.invoke(args=["demo-data", "--reports", "50"])
    result = runner.invoke(args=["demo-data", "--reports", "50", "--if-empty"])
    assert "existent déjà" in result.output
    assert _count(app, Report) == 50


def test_setup_migrates_loads_and_seeds_once(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup", "--demo-reports", "40"])
    assert result.exit_code == 0, result.output
    assert _count(app, Report) == 40 and _count(app, Territory) == 101
    again = runner.invoke(args=["setup", "--demo-reports", "40"])
    assert again.exit_code == 0, again.output
    assert _count(app, Report) == 40


def test_setup_keeps_the_demo_accounts_in_the_instance_folder(make_app, tmp_path):
    # A second instance (another database, a load test) must not overwrite the accounts of the first one.
    instance = tmp_path / "instance"
    app = make_app(ENV="development", INSTANCE_PATH=str(instance))
    result = app.test_cli_runner().invoke(args=["setup", "--demo-reports", "40"])
    assert result.exit_code == 0, result.output
    accounts = (instance / "comptes-demo.txt").read_text(encoding="utf-8")
    assert "responsable@demo.irritants.fr" in accounts and "pilotage@demo.irritants.fr" in accounts
    assert str(instance / "comptes-demo.txt") in result.output
