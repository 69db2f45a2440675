"""``irritants partners create|list|revoke`` and which Open311 routes need a partner's key."""

from __future__ import annotations

from irritants.db import get_db
from irritants.partners import services as partners
from tests.web.open311_helpers import BASE, open311_form


def test_create_prints_the_key_once_list_never_shows_it_revoke_refuses_it(app, runner, client):
    created = runner.invoke(args=["partners", "create", "--name", "Ville de Roubaix"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("o311_") and len(key) > 40
    assert client.post(f"{BASE}/requests.json", data=open311_form(key)).status_code == 200

    listed = runner.invoke(args=["partners", "list"])
    assert "Ville de Roubaix" in listed.output and "actif" in listed.output
    assert key not in listed.output and key[:11] in listed.output  # its prefix tells keys apart

    again = runner.invoke(args=["partners", "create", "--name", "Ville de Roubaix"])
    assert again.exit_code != 0 and "déjà" in again.output

    revoked = runner.invoke(args=["partners", "revoke", "--name", "Ville de Roubaix"])
    assert revoked.exit_code == 0
    assert "révoqué" in runner.invoke(args=["partners", "list"]).output
    assert client.post(f"{BASE}/requests.json", data=open311_form(key)).status_code == 403

    unknown = runner.invoke(args=["partners", "revoke", "--name", "Personne"])
    assert unknown.exit_code != 0 and "Aucun partenaire" in unknown.output


def test_every_open311_write_needs_a_key_and_every_read_is_public(app, client):
    """Walks the URL map: a route added under /open311/ is checked here (the agents' matrix does not cover it)."""
    with app.app_context(), get_db(app).session_scope() as s:
        partners.create_partner(s, "Témoin")
        s.commit()
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/open311/")]
    assert {rule.endpoint for rule in rules} == {
        "open311.discovery",
        "open311.services",
        "open311.service_definition",
        "open311.create_request",
        "open311.list_requests",
        "open311.get_request",
        "open311.get_token",
    }
    for rule in rules:
        path = rule.rule.replace("<any(xml, json):fmt>", "json").replace("<service_code>", "caf")
        path = path.replace("<service_request_id>", "AAA-BBB-CCC").replace("<token>", "inconnu")
        if "POST" in rule.methods:
            assert client.post(path, data=open311_form(None)).status_code == 403, path
        else:
            assert client.get(path).status_code in (200, 404), path
