"""No personal data in the logs: every line written during a whole scenario — reports with an email, a phone number
and a text through the form and the API, a tracking page read, a lost link asked for, an agent failing then signing in
with a password and deciding, a refused authorisation, an unhandled error — searched for the planted email, phone,
tracking tokens and text."""

from __future__ import annotations

import logging
import re

from irritants.auth.models import User
from irritants.db import get_db, get_session
from irritants.extensions import csrf
from tests.conftest import PASSWORD, make_cluster, make_user
from tests.log_capture import CapturedLines, json_lines

EMAIL = "dominique.planque@exemple.fr"
AGENT_EMAIL = "agent.planque@beta.gouv.fr"
PHONE = "06 71 42 93 58"
FORM_TEXT = f"Le guichet Zyxland refuse mon justificatif depuis 47 jours, rappelez-moi au {PHONE} svp."
API_TEXT = "Le portail Qwortz efface mon dossier de bourse à chaque connexion depuis la rentrée."
REASON = "motif Vlorbique : doublon confirmé"


def page_csrf(client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def add_failing_views(app) -> None:
    def crash() -> str:
        session = get_session()
        session.add(User(email=AGENT_EMAIL, name="Doublon", roles=["manager"]))
        session.flush()  # the agent's address is taken: IntegrityError
        return "unreachable"

    def fails() -> str:
        raise RuntimeError(f"échec pour {EMAIL} joignable au {PHONE}")

    app.add_url_rule("/essai/doublon", "crash", csrf.exempt(crash), methods=["POST"])
    app.add_url_rule("/essai/echec", "fails", fails)


def scenario(app, client) -> list[str]:
    """The citizens' and the agent's steps; the secrets they were given (tracking tokens)."""
    add_failing_views(app)
    # A citizen reports through the form, with a follow-up address, then reads their tracking page.
    html = client.get("/").get_data(as_text=True)
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_token": hidden(html, "form_token"),
        "description": FORM_TEXT,
        "administration": "prefecture",
        "territory": "13",
        "channel": "en_ligne",
        "severity": "blocage",
        "email": EMAIL,
        "contact_consent": "on",
    }
    assert client.post("/", data=form).status_code == 303
    confirmation = client.get("/confirmation").get_data(as_text=True)
    form_token = re.search(r"/suivi/([A-Za-z0-9_-]{43})", confirmation).group(1)
    assert client.get(f"/suivi/{form_token}").status_code == 200

    # Another through the API, reading it back with its token.
    body = {
        "description": API_TEXT,
        "administration": "caf",
        "territory": "59",
        "channel": "telephone",
        "severity": "rupture_de_droits",
        "email": EMAIL,
        "contact_consent": True,
    }
    created = client.post("/api/v1/reports", json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    api_token = created.get_json()["tracking_token"]
    assert client.get(f"/api/v1/reports/{api_token}").status_code == 200

    # « Lien de suivi perdu » for that address.
    sent = client.post("/suivi/retrouver", data={"csrf_token": page_csrf(client, "/suivi/retrouver"), "email": EMAIL})
    assert sent.status_code in (200, 303)

    # An agent signs in with a password, then decides on an irritant.
    with get_db(app).session_scope() as s:
        make_user(s, "admin", email=AGENT_EMAIL, password=PASSWORD)
        cluster_id = make_cluster(s, "Justificatif refusé au guichet numérique").id
        s.commit()
    agent = app.test_client()
    # First a wrong password, and a try with the citizen's address, which has no account.
    for email in (AGENT_EMAIL, EMAIL):
        refused = agent.post(
            "/agents/connexion",
            data={"csrf_token": page_csrf(agent, "/agents/connexion"), "email": email, "password": "pas le bon 12"},
        )
        assert refused.status_code == 422
    signed = agent.post(
        "/agents/connexion",
        data={"csrf_token": page_csrf(agent, "/agents/connexion"), "email": AGENT_EMAIL, "password": PASSWORD},
    )
    assert signed.status_code in (302, 303)
    decided = agent.post(
        f"/api/v1/triage/clusters/{cluster_id}/status",
        json={"to": "triaged", "reason": REASON},
        headers={"X-CSRFToken": page_csrf(agent, "/agents/")},
    )
    assert decided.status_code == 200, decided.get_data(as_text=True)

    # A refused authorisation: an API token sent to a page.
    assert agent.get("/agents/", headers={"Authorization": "Bearer pas-un-jeton"}).status_code == 403

    # Unexpected errors, in requests carrying addresses: a database error and an exception's message.
    assert agent.post("/essai/doublon", data={"email": AGENT_EMAIL, "texte": FORM_TEXT}).status_code == 500
    assert client.get(f"/essai/echec?email={EMAIL}&suivi={form_token}").status_code == 500
    return [form_token, api_token]


def assert_clean(lines: CapturedLines, tokens: list[str]) -> None:
    text = lines.text
    for planted in (EMAIL, AGENT_EMAIL, PHONE, PHONE.replace(" ", ""), *tokens, REASON):
        assert planted not in text, planted
    for sentence in (FORM_TEXT, API_TEXT):
        for fragment in ("Zyxland", "Qwortz", "Vlorbique", sentence[:30]):
            assert fragment not in text, fragment


def test_a_whole_scenario_leaves_no_email_phone_token_nor_text_in_the_logs(app, client):
    with json_lines(logging.DEBUG) as lines:
        tokens = scenario(app, client)
    assert_clean(lines, tokens)
    # The scenario was logged, with what an operator needs: the two errors, their request ids and types.
    errors = [line for line in lines.parsed() if line["level"] == "ERROR"]
    assert {line["exc_type"] for line in errors} >= {"IntegrityError", "RuntimeError"}
    assert all(line.get("request_id") for line in errors)
    assert any("[courriel]" in line.get("exception", "") for line in errors)
    # …and the security events, naming the agent by number only.
    events = [line["event"] for line in lines.parsed() if line["logger"] == "irritants.security"]
    assert events.count("auth.password.failure") == 2
    assert {"auth.password.success", "authz.refused"} <= set(events)
