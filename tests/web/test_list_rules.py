"""One rule for every list of ``/api/v1``, checked on every list the OpenAPI document names (a list added later is
held to it too): ``Link`` (RFC 8288) and ``X-Total-Count`` headers, page bounds, one ``sort`` parameter (``field`` or
``-field`` from the list's whitelist, an unknown one a 422 naming the allowed ones), blank parameters read as missing;
and the former spellings still understood, with ``Deprecation``/``Sunset`` headers."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Moderation, Report, Severity
from irritants.paging import PAGE_MAX, PAGE_SIZE_MAX
from irritants.squads.sprints import BacklogItem, Sprint, SprintState
from irritants.triage.models import ReplyTemplate
from tests.conftest import make_cluster, make_squad, make_user

SEVERITY_ORDER = [s.value for s in Severity]


def spec_of(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def lists(spec: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The paged lists (envelope) and the whole lists (arrays) of the document: path → GET operation."""
    paged, whole = {}, {}
    for path, item in sorted(spec["paths"].items()):
        content = item.get("get", {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json")
        if not content:
            continue
        answer = resolve(spec, content["schema"])
        if answer.get("type") == "array":
            whole[path] = item["get"]
        elif "items" in (answer.get("properties") or {}):
            paged[path] = item["get"]
    return paged, whole


def query_parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["in"] == "query" and p["name"] == name)


def links(response: Any) -> dict[str, str]:
    """rel → URL of a Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', response.headers.get("Link", ""))}


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Two of everything a list shows, with distinct dates, sizes, ranks and points."""
    base = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with get_db(app).session_scope() as s:
        clusters = [
            make_cluster(s, f"Irritant {name}", reports=size, score=score)
            for name, size, score in (("alpha", 2, 0.5), ("beta", 4, 0.9), ("gamma", 1, 0.7), ("delta", 3, 0.1))
        ]
        for n, report in enumerate(s.query(Report).order_by(Report.id)):
            report.created_at = base + dt.timedelta(hours=n)
            report.severity = SEVERITY_ORDER[n % 4]
        for n, report in enumerate(s.query(Report).filter(Report.cluster_id == clusters[1].id)):
            if n < 2:  # awaiting moderation: the queue has two, flagged differently
                report.moderation, report.abuse_flags = Moderation.PENDING, 3 - n
        beta = clusters[1].id
        for n in range(3):  # an append-only log: dated when written
            s.add(Event(actor="système", action="cluster.label", subject_type="cluster", subject_id=beta,
                        cluster_id=beta, before={}, after={}, created_at=base + dt.timedelta(days=n)))  # fmt: skip
        squad = make_squad(s, "Aides au logement")
        make_squad(s, "Bourses etudiantes")
        for number in (1, 2, 3):
            start = dt.date(2026, 10, 1) + dt.timedelta(days=14 * number)
            s.add(Sprint(squad_id=squad.id, number=number, starts_on=start, ends_on=start + dt.timedelta(days=11),
                         state=SprintState.CLOSED if number < 3 else SprintState.PLANNED))  # fmt: skip
        for rank, (title, points) in enumerate((("Recherche", 3), ("Export", None), ("Relance", 8), ("Tri", 1))):
            s.add(BacklogItem(squad_id=squad.id, title=title, points=points, rank=rank + 1,
                              updated_at=base + dt.timedelta(minutes=rank)))  # fmt: skip
        for n, title in enumerate(("Transmis", "Corrige", "Doublon")):
            s.add(ReplyTemplate(title=title, body=f"{title}.", created_at=base + dt.timedelta(days=3 - n)))
        _, token = create_token(s, make_user(s, "admin"), "listes")
        s.commit()
        return {
            "headers": {"Authorization": f"Bearer {token}"},
            "cluster_id": clusters[1].id,
            "slug": squad.slug,
            "ids_by_size": [c.id for c in sorted(clusters, key=lambda c: -c.size)],
        }


def url_of(path: str, world: dict[str, Any]) -> str:
    return path.replace("{cluster_id}", str(world["cluster_id"])).replace("{slug}", world["slug"])


def in_order(values: list[Any], *, descending: bool) -> bool:
    """Sorted that way, empty values last."""
    present = [v for v in values if v is not None]
    return values[: len(present)] == present and present == sorted(present, reverse=descending)


def test_every_list_documents_its_sort_and_headers(app):
    paged, whole = lists(spec_of(app))
    assert len(paged) >= 8 and len(whole) >= 9
    for path, operation in paged.items():
        sort = query_parameter(operation, "sort")
        assert sort["schema"]["type"] == "string" and sort["schema"]["enum"], path
        assert "default" in sort["schema"], path
        page, size = query_parameter(operation, "page")["schema"], query_parameter(operation, "page_size")["schema"]
        assert (page["minimum"], page["maximum"], size["minimum"], size["maximum"]) == (1, PAGE_MAX, 1, PAGE_SIZE_MAX)
        assert {"Link", "X-Total-Count"} <= set(operation["responses"]["200"]["headers"]), path
        assert "application/problem+json" in operation["responses"]["422"]["content"], path
    for path, operation in whole.items():
        assert "X-Total-Count" in operation["responses"]["200"]["headers"], path
    items = paged["/api/v1/squads/{slug}/items"]
    assert query_parameter(items, "sprint_id").get("deprecated") and query_parameter(items, "backlog").get("deprecated")
    assert not query_parameter(items, "sprint").get("deprecated")
    assert {"Deprecation", "Sunset"} <= set(items["responses"]["200"]["headers"])


def test_every_list_answers_link_and_total_count_headers(app, client, world):
    paged, _ = lists(spec_of(app))
    for path in paged:
        url = url_of(path, world)
        everything = client.get(url, query_string={"page_size": 100}, headers=world["headers"])
        assert everything.status_code == 200, (url, everything.get_data(as_text=True))
        total = everything.get_json()["total"]
        assert total >= 2, url  # the world gives every list two rows at least
        assert everything.headers["X-Total-Count"] == str(total), url
        assert set(links(everything)) == {"first", "last"}, url

        second = client.get(url, query_string={"page": 2, "page_size": 1, "sort": "-id"}, headers=world["headers"])
        if second.status_code == 422:  # a list without an id order: its default order will do
            second = client.get(url, query_string={"page": 2, "page_size": 1}, headers=world["headers"])
        rels = links(second)
        assert set(rels) == ({"first", "prev", "last"} | ({"next"} if total > 2 else set())), (url, rels)
        for rel, page in (("first", 1), ("prev", 1), ("last", total)) + ((("next", 3),) if total > 2 else ()):
            target = urlsplit(rels[rel])
            assert target.path == url and parse_qs(target.query)["page"] == [str(page)], (url, rel)
            assert parse_qs(target.query)["page_size"] == ["1"], (url, rel)
        assert second.headers["X-Total-Count"] == str(total), url

        beyond = client.get(url, query_string={"page": total + 5, "page_size": 1}, headers=world["headers"])
        assert beyond.status_code == 200 and beyond.get_json()["items"] == [], url
        assert parse_qs(urlsplit(links(beyond)["prev"]).query)["page"] == [str(total)], url
        assert "next" not in links(beyond), url


def test_every_list_sorts_each_way_by_each_whitelisted_field(app, client, world):
    paged, _ = lists(spec_of(app))
    checked = set()
    for path, operation in paged.items():
        url = url_of(path, world)
        for spelling in query_parameter(operation, "sort")["schema"]["enum"]:
            response = client.get(url, query_string={"sort": spelling, "page_size": 100}, headers=world["headers"])
            assert response.status_code == 200, (url, spelling, response.get_data(as_text=True))
            field, descending = spelling.removeprefix("-"), spelling.startswith("-")
            rows = response.get_json()["items"]
            if not rows or field not in rows[0] or "Deprecation" in response.headers:
                continue  # a computed order (trend, last report) or a former spelling: checked below
            values = [row[field] for row in rows]
            if field == "severity":
                values = [SEVERITY_ORDER.index(v) for v in values]
            assert in_order(values, descending=descending), (url, spelling, values)
            assert len(set(values)) > 1, (url, spelling)  # the world makes each order tell something
            checked.add((path, spelling))
    # Each list checked both ways on at least one field its rows show.
    assert {path for path, spelling in checked if spelling.startswith("-")} == set(paged)
    assert {path for path, spelling in checked if not spelling.startswith("-")} == set(paged)


def test_an_unknown_sort_is_a_422_naming_the_allowed_ones(app, client, world):
    paged, _ = lists(spec_of(app))
    for path, operation in paged.items():
        url = url_of(path, world)
        for wrong in ("nope", "--id", "-", "label;drop"):
            response = client.get(url, query_string={"sort": wrong}, headers=world["headers"])
            assert response.status_code == 422 and response.mimetype == "application/problem+json", (url, wrong)
            messages = " ".join(e["detail"] for e in response.get_json()["errors"] if e["pointer"].endswith("sort"))
            allowed = [s for s in query_parameter(operation, "sort")["schema"]["enum"] if s.startswith("-")]
            assert all(s in messages for s in allowed), (url, messages)


def test_page_bounds_and_blank_parameters_are_the_same_everywhere(app, client, world):
    paged, _ = lists(spec_of(app))
    for path in paged:
        url = url_of(path, world)
        for wrong in ({"page": 0}, {"page": PAGE_MAX + 1}, {"page_size": 0}, {"page_size": PAGE_SIZE_MAX + 1},
                      {"page": "un"}):  # fmt: skip
            response = client.get(url, query_string=wrong, headers=world["headers"])
            assert response.status_code == 422 and response.mimetype == "application/problem+json", (url, wrong)
        assert (
            client.get(url, query_string={"page": PAGE_MAX, "page_size": 100}, headers=world["headers"]).status_code
            == 200
        )
        default = client.get(url, headers=world["headers"]).get_json()
        blank = client.get(url + "?sort=&page=&page_size=", headers=world["headers"])
        assert blank.status_code == 200 and blank.get_json() == default, url


def test_the_backlogs_former_sort_values_keep_their_meaning_and_are_announced(app, client, world):
    url, headers = "/api/v1/triage/clusters", world["headers"]
    for old, new in (("size", "-size"), ("score", "-score"), ("trend", "-trend"), ("recent", "-last_report_at")):
        before = client.get(url, query_string={"sort": old, "page_size": 2}, headers=headers)
        now = client.get(url, query_string={"sort": new, "page_size": 2}, headers=headers)
        assert before.status_code == now.status_code == 200
        assert before.get_json() == now.get_json(), old
        assert "Deprecation" not in now.headers and "Sunset" not in now.headers
        assert re.fullmatch(r"@\d+", before.headers["Deprecation"]), before.headers["Deprecation"]
        sunset = email.utils.parsedate_to_datetime(before.headers["Sunset"])
        assert sunset.date() > dt.datetime.fromtimestamp(int(before.headers["Deprecation"][1:]), dt.UTC).date()
        rels = links(before)
        assert {"first", "next", "last", "deprecation", "sunset"} <= set(rels)
        assert rels["deprecation"].endswith("/api/v1/docs")
    ranked = client.get(url, query_string={"sort": "-size"}, headers=headers).get_json()["items"]
    assert [c["id"] for c in ranked] == world["ids_by_size"]
    ascending = client.get(url, query_string={"sort": "id"}, headers=headers).get_json()["items"]
    assert [c["id"] for c in ascending] == sorted(world["ids_by_size"])


def test_the_public_list_sorts_by_size_either_way_and_by_score_by_default(client, world):
    default = client.get("/api/v1/clusters").get_json()["items"]
    assert [c["score"] for c in default] == sorted((c["score"] for c in default), reverse=True)
    smallest = client.get("/api/v1/clusters", query_string={"sort": "size"}).get_json()["items"]
    assert [c["id"] for c in smallest] == world["ids_by_size"][::-1]
    assert "Deprecation" not in client.get("/api/v1/clusters", query_string={"sort": "score"}).headers


def test_the_items_former_filters_still_filter_and_are_announced(app, client, world):
    url, headers = f"/api/v1/squads/{world['slug']}/items", world["headers"]
    sprint_id = client.get(f"/api/v1/squads/{world['slug']}/sprints", headers=headers).get_json()["items"][0]["id"]
    for old, new in (({"sprint_id": sprint_id}, {"sprint": sprint_id}), ({"backlog": "true"}, {"sprint": "none"})):
        before, now = (
            client.get(url, query_string=old, headers=headers),
            client.get(url, query_string=new, headers=headers),
        )
        assert before.status_code == now.status_code == 200
        assert before.get_json() == now.get_json(), old
        assert "Deprecation" in before.headers and "Sunset" in before.headers and "Deprecation" not in now.headers
    assert len(client.get(url, query_string={"sprint": "none"}, headers=headers).get_json()["items"]) == 4
    both = client.get(url, query_string={"sprint": "none", "sprint_id": sprint_id}, headers=headers)
    assert both.status_code == 422 and both.mimetype == "application/problem+json"
    for wrong in ("aucun", "0", "99999999999"):
        assert client.get(url, query_string={"sprint": wrong}, headers=headers).status_code == 422, wrong
    # backlog=false was « no filter »: still is
    assert client.get(url, query_string={"backlog": "false"}, headers=headers).get_json()["total"] == 4


def test_whole_lists_count_themselves(app, client, world):
    _, whole = lists(spec_of(app))
    for path in (
        "/api/v1/administrations",
        "/api/v1/territories",
        "/api/v1/channels",
        "/api/v1/squads/{slug}/webhooks",
    ):
        assert path in whole
        response = client.get(url_of(path, world), headers=world["headers"])
        assert response.status_code == 200, path
        assert response.headers["X-Total-Count"] == str(len(response.get_json())), path


def test_from_its_sunset_day_a_former_spelling_is_refused_naming_its_replacement(client, world, monkeypatch):
    from irritants.api import deprecation

    after = dt.datetime.combine(deprecation.LISTS_SUNSET_ON, dt.time(), tzinfo=dt.UTC)
    monkeypatch.setattr(deprecation, "utcnow", lambda: after)
    refused = client.get("/api/v1/triage/clusters", query_string={"sort": "size"}, headers=world["headers"])
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["#/sort"]
    assert "sort=-size" in refused.get_json()["errors"][0]["detail"]
    items = client.get(f"/api/v1/squads/{world['slug']}/items?backlog=true", headers=world["headers"])
    assert items.status_code == 422 and "sprint=none" in items.get_json()["detail"]
    assert client.get("/api/v1/triage/clusters?sort=-size", headers=world["headers"]).status_code == 200
    monkeypatch.setattr(deprecation, "utcnow", lambda: after - dt.timedelta(seconds=1))
    assert client.get("/api/v1/triage/clusters?sort=size", headers=world["headers"]).status_code == 200
