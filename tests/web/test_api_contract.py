"""The OpenAPI document of /api/v1 is a contract: schemathesis generates requests from it for every operation and
every kind of caller, and every answer must be documented (status, content type, headers, body schema), never a
5xx. See docs/api-contract.md (``--contract-examples`` runs it with more examples)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import select

from irritants import create_app, jobs
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Report
from tests.conftest import app_config, clean_database, make_cluster, make_squad, make_user, report_payload

ROLES = ("product_owner", "squad_member", "manager", "admin")
# Headers of the API's own making: sent, they must be documented on the answer (schemathesis checks the documented
# ones conform, not that the sent ones are documented).
API_HEADERS = {
    "location",
    "etag",
    "link",
    "x-total-count",
    "deprecation",
    "sunset",
    "retry-after",
    "idempotent-replayed",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
}
BASE_URL = "http://irritants.test"
HOOK = "https://outil.exemple.fr/irritants"


def _operations() -> list[tuple[str, str]]:
    """Every operation of the document, read from an app on no database (the document needs none)."""
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SERVER_NAME": "irritants.test"})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    get_db(app).dispose()
    methods = ("get", "post", "put", "patch", "delete")
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in methods]


OPERATIONS = _operations()
# Whom the contract is checked for: nobody, the author of a report (its tracking token in the path) and an agent of
# each role with a personal API token. The tracking token only opens the /reports/{token} operations.
IDENTITIES = [("anonymous", op) for op in OPERATIONS]
IDENTITIES += [("citizen", op) for op in OPERATIONS if "{token}" in op[1]]
IDENTITIES += [(role, op) for role in ROLES for op in OPERATIONS]


@pytest.fixture(scope="module")
def world(database_url: str, mail_dir: str) -> Iterator[dict[str, Any]]:
    """An app with one of everything the API names in a path, and a bearer token per role."""
    app = create_app(app_config(database_url, MAIL_DIR=mail_dir))
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status="planned")
        tokens = {}
        for role in ROLES:
            user = make_user(s, role, squads=[squad] if role != "manager" else [])
            tokens[role] = create_token(s, user, "contrat")[1]
        s.commit()
        ids: dict[str, Any] = {"cluster_id": cluster.id, "slug": squad.slug}
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens['admin']}"}

    def created(url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(BASE_URL + url, json=body, headers=admin)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    report = client.post(BASE_URL + "/api/v1/reports", json=report_payload())
    assert report.status_code == 201, report.get_data(as_text=True)
    ids["token"] = report.get_json()["tracking_token"]
    slug = ids["slug"]
    ids["sprint_id"] = created(f"/api/v1/squads/{slug}/sprints", {"starts_on": "2026-12-07", "ends_on": "2026-12-18"})[
        "id"
    ]
    ids["item_id"] = created(f"/api/v1/squads/{slug}/items", {"title": "Créneaux le samedi"})["id"]
    ids["endpoint_id"] = created(f"/api/v1/squads/{slug}/webhooks", {"url": HOOK, "events": ["item.state_changed"]})[
        "id"
    ]
    ids["template_id"] = created("/api/v1/triage/templates", {"title": "Transmis", "body": "Nous avons transmis."})[
        "id"
    ]
    with get_db(app).session_scope() as s:
        ids["report_id"] = s.scalar(select(Report.id).where(Report.cluster_id == ids["cluster_id"]).limit(1))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, base_url=BASE_URL)
    spec = client.get(BASE_URL + "/api/v1/openapi.json").get_json()
    # A body over MAX_CONTENT_LENGTH is refused with the 413 every body-reading operation documents.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    yield {"app": app, "schema": schema, "ids": ids, "tokens": tokens, "headers": _headers_documented(spec)}
    jobs.stop(app)
    clean_database(app)
    get_db(app).dispose()


DEPRECATION_HEADERS = {"deprecation", "sunset", "link"}


def _documented_headers(spec: dict[str, Any], case: Any, status: int) -> set[str]:
    responses = spec["paths"][case.path][case.method.lower()]["responses"]

    def headers_of(answer: dict[str, Any]) -> set[str]:
        if "$ref" in answer:
            answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
        return {name.lower() for name in answer.get("headers", {})}

    documented = headers_of(responses.get(str(status), responses.get("default", {})))
    if status >= 400:
        # A deprecated spelling is announced whatever the answer (irritants.api.deprecation): the operation's
        # success answer documents the headers once for all its answers.
        successes = [headers_of(answer) for code, answer in responses.items() if code.startswith("2")]
        documented |= DEPRECATION_HEADERS & set().union(*successes)
    return documented


def _headers_documented(spec: dict[str, Any]) -> Any:
    """A check: the API's own headers in an answer are documented for its status."""

    def api_headers_are_documented(ctx: Any, response: Any, case: Any) -> None:
        sent = {name.lower() for name in response.headers} & API_HEADERS
        missing = sent - _documented_headers(spec, case, response.status_code)
        if missing:
            raise AssertionError(f"Undocumented headers on a {response.status_code}: {', '.join(sorted(missing))}")

    return api_headers_are_documented


def _cases(operation: Any, ids: dict[str, Any], identity: str, headers: dict[str, str]) -> st.SearchStrategy[Any]:
    """Generated requests, half of them on resources that exist (else almost every path would be a 404); the
    caller's credentials are fixed (the anonymous run is the one without them)."""
    names = {p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "path"}
    names |= {name.strip("{}") for name in operation.path.split("/") if name.startswith("{")}
    real = {name: ids[name] for name in names if name in ids and (name != "token" or identity == "citizen")}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode, headers=headers) for mode in modes]
    if real:
        strategies += [operation.as_strategy(mode, headers=headers, path_parameters=real) for mode in modes]
    return st.one_of(strategies)


@pytest.mark.parametrize(("identity", "operation"), IDENTITIES, ids=[f"{i}-{m} {p}" for i, (m, p) in IDENTITIES])
def test_every_answer_is_documented_and_never_a_server_error(world, request, identity, operation):
    method, path = operation
    schema = world["schema"]
    api_operation = schema[path][method]
    token = world["tokens"].get(identity)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if token:
        # Every header parameter given, none generated: schemathesis then counts the Authorization above as the
        # caller's own, not as a generated (likely invalid) credential that a 200 would prove ignored.
        headers["X-Request-ID"] = f"contrat-{identity}"
    examples = request.config.getoption("--contract-examples")

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(api_operation, world["ids"], identity, headers))
    def check(case: Any) -> None:
        # A schema-valid request may still name an administration or a cluster that does not exist: the document
        # cannot list database rows, so a 422 for it is no breach of contract.
        case.call_and_validate(
            app=world["app"],
            base_url=BASE_URL,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[world["headers"]],
        )

    check()


def test_a_new_report_is_followed_by_its_tracking_token_through_the_declared_links(world, request):
    """Stateful: schemathesis creates reports, then follows the document's links (read it, list and post its
    messages, answer the resolution question) with the tracking token each creation returned."""
    schema = world["schema"].include(path_regex=r"^/api/v1/reports")
    followed: list[tuple[str, int]] = []

    class ReportJourney(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # A report names an administration and a channel of the référentiel (database rows the document
            # cannot list): the journey starts from reports that can exist, whatever else was generated.
            if case.method == "POST" and case.path == "/api/v1/reports" and isinstance(case.body, dict):
                case.body = {**case.body, **report_payload()}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": world["app"], "base_url": BASE_URL}

        def after_call(self, response: Any, case: Any) -> None:
            followed.append((f"{case.method} {case.path}", response.status_code))

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[world["headers"]],
                transport_kwargs=kwargs,
            )

    examples = request.config.getoption("--contract-examples")
    ReportJourney.run(
        settings=settings(
            max_examples=examples,
            stateful_step_count=5,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert ("GET /api/v1/reports/{token}", 200) in followed, followed
