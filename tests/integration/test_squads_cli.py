"""``irritants squads create`` with a squad's profile: the same schema, rules and audit event as the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from irritants.audit.models import Event
from irritants.db import get_db
from irritants.squads.models import Squad, SquadPhaseChange
from irritants.squads.phases import SquadPhase


def test_a_squad_is_created_with_its_profile_and_first_dated_phase(app, runner):
    result = runner.invoke(
        args=[
            "squads", "create", "--name", "Aides au logement", "--phase", "acceleration",
            "--mission", "Que personne ne perde son aide au logement pour un justificatif égaré.",
            "--administration", "caf", "--incubator", "Fabrique numérique des ministères sociaux",
            "--site", "https://aides-logement.beta.gouv.fr", "--code", "https://github.com/betagouv/aides-logement",
            "--depuis", "2025-09-01",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "identifiant aides-au-logement" in result.output and "Accélération" in result.output
    with get_db(app).session_scope() as s:
        squad = s.scalar(select(Squad))
        assert squad.mission.startswith("Que personne") and squad.administration_id is not None
        assert squad.repository_url == "https://github.com/betagouv/aides-logement" and squad.stats_url is None
        (first,) = s.scalars(select(SquadPhaseChange))
        assert (first.phase, first.started_on, first.recorded_by) == (
            SquadPhase.ACCELERATION,
            dt.date(2025, 9, 1),
            "système",
        )
        assert s.scalars(select(Event.action)).all() == ["squad.create"]


def test_bad_options_are_named_and_nothing_is_written(app, runner):
    for args, option, words in (
        (["--site", "http://aides.beta.gouv.fr"], "--site", "https://"),
        (["--administration", "inconnue"], "--administration", "Administration inconnue"),
        (["--depuis", "hier"], "--depuis", "Date invalide"),
    ):
        result = runner.invoke(args=["squads", "create", "--name", "Aides au logement", *args])
        assert result.exit_code == 1, result.output
        assert option in result.output and words in result.output, result.output
    assert runner.invoke(args=["squads", "create", "--name", "X", "--phase", "abandon"]).exit_code == 2
    with get_db(app).session_scope() as s:
        assert s.scalar(select(Squad)) is None
        assert s.scalar(select(Event)) is None


def test_a_public_text_with_personal_data_is_refused_as_the_api_refuses_it_and_nothing_is_written(app, runner):
    for option, text, message in (
        ("--mission", "Écrire à jeanne.martin@example.org pour tout souci.", "La mission est publique"),
        ("--incubator", "Appeler le 06 12 34 56 78", "L'incubateur est publique"),
    ):
        result = runner.invoke(args=["squads", "create", "--name", "Aides au logement", option, text])
        assert result.exit_code == 1, result.output
        assert f"{option} : {message} : retirez-en les données personnelles (numéro, courriel…)." in result.output
    with get_db(app).session_scope() as s:
        assert s.scalar(select(Squad)) is None
        assert s.scalar(select(Event)) is None
