"""What the security tests walk: the authorisation matrix's world with markup planted in every free text it holds,
and every GET route of the URL map with a sample value for each of its arguments.

The markup is written straight into the rows (as a hostile agent, citizen or partner could have typed it, or an
import could have brought it): what is under test is that every page escapes it, whichever door let it in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from irritants.answers.models import AdministrationAnswer
from irritants.audit import services as audit
from irritants.auth.models import ApiToken, User
from irritants.auth.policy import Agent
from irritants.clusters.models import Cluster, Support
from irritants.conversations import services as conversations
from irritants.db import get_db
from irritants.feedback.signing import support_token
from irritants.intake.models import Moderation, Report
from irritants.intake.services import derive_tracking_token
from irritants.referential.models import Administration
from irritants.squads.models import Squad, SquadPhaseChange
from irritants.squads.sprints import BacklogItem, Sprint
from irritants.status import StatusKind
from irritants.triage.models import ReplyTemplate
from irritants.webhooks.models import WebhookEndpoint
from tests.conftest import TEST_SECRET, sign_in
from tests.web.authorization.matrix import Principal, World, build_world

# What a successful injection would need to find raw in a page.
RAW = ("<script>alert(", "<img src=x onerror")


def markup(field: str) -> str:
    """Markup naming its field: a script element, then a way out of an attribute into an element with a handler."""
    return f'<script>alert("{field}")</script>"><img src=x onerror=alert(\'{field}\')>'


def escaped(field: str) -> str:
    """How ``markup(field)`` starts once escaped for HTML (Jinja's escaping: « " » is ``&#34;``)."""
    return (
        f"&lt;script&gt;alert(&#34;{field}&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(&#39;{field}&#39;)"
    )


@dataclass
class Walk:
    world: World
    principals: dict[str, Principal]
    tracking_token: str  # of the world's report held for moderation, which now has a conversation
    samples: dict[str, Any]


def plant(app: Flask) -> Walk:
    """Build the matrix's world, then put markup in each free text: the fields are named in the markup."""
    world, principals = build_world(app)
    with app.app_context(), get_db(app).session_scope() as s:
        cluster = s.get(Cluster, world.cluster)
        cluster.label = markup("cluster.label")
        for report in s.scalars(select(Report).where(Report.cluster_id == world.cluster)):
            report.description = markup("report.description") + " Le site refuse mon dossier depuis un mois."
        free = s.get(Cluster, world.free)
        free.status, free.routed_to = StatusKind.NOT_OUR_SCOPE, markup("cluster.routed_to")
        template = s.get(ReplyTemplate, world.template)
        template.title, template.body = markup("template.title"), markup("template.body")
        squad = s.get(Squad, world.squad_a)
        squad.name, squad.mission = markup("squad.name"), markup("squad.mission")
        s.add(
            SquadPhaseChange(
                squad_id=squad.id, phase=squad.phase, started_on=dt.date(2026, 11, 2), note=markup("phase.note"),
                recorded_by=markup("phase.recorded_by"),
            )
        )  # fmt: skip
        sprint = s.get(Sprint, world.sprint)
        sprint.goal, sprint.review_notes = markup("sprint.goal"), markup("sprint.review_notes")
        item = s.get(BacklogItem, world.item)
        item.title, item.description = markup("item.title"), markup("item.description")
        target = s.get(User, world.target_user)
        target.name = markup("user.name")
        for token in s.scalars(select(ApiToken).where(ApiToken.user_id == world.target_user)):
            token.name = markup("token.name")
        hook = s.get(WebhookEndpoint, world.webhook)
        hook.created_by = markup("webhook.created_by")
        caf = s.scalar(select(Administration.id).where(Administration.slug == "caf"))
        s.add(AdministrationAnswer(cluster_id=world.cluster, administration_id=caf, text=markup("answer.text")))
        admin = principals["admin"].user
        agent = Agent(admin.id, admin.email, frozenset({"admin"}))
        conversations.ask(s, agent, world.report, markup("question.body"))
        audit.record(
            s, agent, "cluster.note", "cluster", world.cluster, cluster_id=world.cluster,
            reason=markup("event.reason"), public_note=markup("event.public_note"),
        )  # fmt: skip
        tracking = derive_tracking_token(TEST_SECRET, s.get(Report, world.report).token_seed)
        published = s.scalar(
            select(Report.reference)
            .where(Report.cluster_id == world.cluster, Report.moderation == Moderation.PUBLISHED)
            .limit(1)
        )
        support = Support(cluster_id=world.cluster, person_key="5" * 64)
        s.add(support)
        s.flush()
        signed = support_token(TEST_SECRET, support.id)
        s.commit()
    samples = {
        "slug": world.squad_a_slug,
        "cluster_id": world.cluster,
        "token": tracking,
        "item_id": world.item,
        "endpoint_id": world.webhook,
        "user_id": world.target_user,
        "report_id": world.report,
        "template_id": world.template,
        "number": world.sprint_number,
        "sprint_id": world.sprint,
        "token_id": world.target_token,
        "export_id": world.export,
        "job_id": world.recluster_job,
        "fmt": "json",
        "name": "irritants.csv",
        "service_code": "caf",
        "service_request_id": published,
        "signed": signed,
    }
    return Walk(world, principals, tracking, samples)


def routes_of(app: Flask, samples: dict[str, Any], method: str = "GET") -> list[tuple[str, str]]:
    """Every route answering ``method`` but static files, as (endpoint, path) with the sample values; fails on an
    argument it cannot fill, so a new route is walked as soon as it exists."""
    routes: list[tuple[str, str]] = []
    missing: set[str] = set()
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if method not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            needed = rule.arguments - set(rule.defaults or ())
            unknown = needed - samples.keys()
            if unknown:
                missing.update(f"{name} ({rule.rule})" for name in unknown)
                continue
            built = rule.build({name: samples[name] for name in needed}, append_unknown=False)
            assert built is not None, rule.rule
            routes.append((rule.endpoint, built[1]))
    assert not missing, f"no sample value for: {sorted(missing)}"
    return routes


def clients(app: Flask, walk: Walk) -> Iterator[tuple[str, FlaskClient]]:
    """An anonymous visitor, then a signed-in admin (who opens every back-office page)."""
    yield "anonymous", app.test_client()
    admin = app.test_client()
    sign_in(admin, walk.principals["admin"].user)
    yield "admin", admin


OPEN_DATA = "/statistiques/donnees/"


def assert_security_headers(response, where: str) -> None:
    """``where`` is « caller path status »."""
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert directives.get("object-src") == ["'none'"], (where, csp)
    assert "base-uri" in directives and "'unsafe-inline'" not in directives.get("script-src", []), (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("X-Frame-Options") in ("SAMEORIGIN", "DENY"), where
    # Same-origin only, but for the open data files, public by nature, which any page or notebook may read.
    allowed_origin = "*" if where.split()[1].startswith(OPEN_DATA) else None
    assert response.headers.get("Access-Control-Allow-Origin") == allowed_origin, where
