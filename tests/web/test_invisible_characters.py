"""Bidirectional controls and other invisible format characters are removed from every free text agents or
citizens type that others read: a U+202E could reverse an irritant's title on agents' screens."""

from __future__ import annotations

from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.auth.models import User
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads.models import Squad
from irritants.triage.models import ReplyTemplate
from tests.conftest import make_cluster, make_user, report_payload

API = "/api/v1/triage"
RLO, PDI, LRI, ZWSP, SHY, BOM, ALM = "\u202e", "\u2069", "\u2066", "\u200b", "\u00ad", "\ufeff", "\u061c"


def admin(app) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        _, raw = create_token(s, make_user(s, "admin"), "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_a_reversed_report_text_is_stored_without_its_bidirectional_controls(client):
    text = f"Le paiement {RLO}ecnatsissa{PDI} de la CAF est bloqué{ZWSP} depuis trois mois{ALM}.{BOM}"
    created = client.post("/api/v1/reports", json=report_payload(description=text)).get_json()
    view = client.get(f"/api/v1/reports/{created['tracking_token']}").get_json()
    assert view["description"] == "Le paiement ecnatsissa de la CAF est bloqué depuis trois mois."


def test_labels_keywords_reasons_and_routing_lose_their_invisible_characters(app, client):
    headers = admin(app)
    with get_db(app).session_scope() as s:
        cluster_id = make_cluster(s, "Rendez-vous introuvables", reports=1).id
        s.commit()
    labelled = client.post(
        f"{API}/clusters/{cluster_id}/label",
        json={"label": f"{RLO}Rendez-vous{SHY} introuvables", "keywords": [f"rdv{ZWSP}", f"{LRI}préfecture{PDI}"]},
        headers=headers,
    )
    assert labelled.status_code == 200, labelled.get_json()
    assert labelled.get_json()["label"] == "Rendez-vous introuvables"
    assert labelled.get_json()["keywords"] == ["rdv", "préfecture"]
    routed = client.post(
        f"{API}/clusters/{cluster_id}/status",
        json={"to": "not_our_scope", "routed_to": f"{LRI}CAF de Lille{PDI}", "reason": f"Hors {RLO}périmètre"},
        headers=headers,
    )
    assert routed.status_code == 200, routed.get_json()
    assert routed.get_json()["routed_to"] == "CAF de Lille"
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, cluster_id).label == "Rendez-vous introuvables"
        reasons = list(s.scalars(select(Event.reason).where(Event.cluster_id == cluster_id, Event.reason.is_not(None))))
    assert reasons == ["Hors périmètre"]


def test_reply_templates_lose_their_invisible_characters(app, client):
    headers = admin(app)
    created = client.post(
        f"{API}/templates",
        json={"title": f"Transmis{RLO} à la CAF", "body": f"Nous avons{ZWSP} transmis."},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    with get_db(app).session_scope() as s:
        template = s.get(ReplyTemplate, created.get_json()["id"])
        assert (template.title, template.body) == ("Transmis à la CAF", "Nous avons transmis.")


def test_agent_and_squad_names_typed_at_the_command_line_lose_their_invisible_characters(app, runner):
    squad = runner.invoke(args=["squads", "create", "--name", f"Rendez-vous{RLO} préfecture"])
    assert squad.exit_code == 0, squad.output
    name = f"{LRI}Camille{PDI}"
    agent = runner.invoke(
        args=["users", "create", "--email", "c@beta.gouv.fr", "--role", "manager", "--name", name, "--no-password"]
    )
    assert agent.exit_code == 0, agent.output
    with get_db(app).session_scope() as s:
        assert s.scalar(select(Squad.name)) == "Rendez-vous préfecture"
        assert s.scalar(select(User.name).where(User.email == "c@beta.gouv.fr")) == "Camille"
