"""A report's public status is a copy of its irritant's with one writer, ``sync_report_statuses``: whatever places,
re-clusters, decides or reshapes (merge and its undo, split, move), the tracking page and the API show the
irritant's status at once, and no other code writes the column — neither in the source nor at run time."""

from __future__ import annotations

import ast
import re
import traceback
from pathlib import Path

import pytest
from sqlalchemy import event, select

from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.clusters.report_status import sync_report_statuses
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.settings import settings_of
from irritants.status import CITIZEN_STATUS_LABELS, STATUS_BADGES, StatusKind
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_user, report_payload
from tests.integration.test_clustering_service import ADMIN, THEMES, post_reports, run
from tests.python_source import parse

S = StatusKind
PACKAGE = Path(__file__).resolve().parents[2] / "irritants"
WRITER = sync_report_statuses.__name__


@pytest.fixture
def tfidf_app(make_app):
    return make_app(CLUSTERING_ENCODER="tfidf")


class StatusWrites:
    """Every UPDATE that sets ``reports.status``, sorted by whether the one writer issued it."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.by_writer = 0

    def __call__(self, _conn, _cursor, statement, *_: object) -> None:
        sql = " ".join(statement.split())
        if re.match(r"UPDATE reports SET (?:(?!WHERE).)*\bstatus\s*=", sql, re.I):
            if any(frame.f_code.co_name == WRITER for frame, _ in traceback.walk_stack(None)):
                self.by_writer += 1
            else:
                self.outside.append(sql[:200])


def shown(client, token: str) -> tuple[str, str, str]:
    """(badge, label) of the tracking page's status and the API's ``status``; the API's label must agree."""
    html = client.get(f"/suivi/{token}").get_data(as_text=True)
    badge, label = re.search(r'<dd><p class="fr-badge fr-badge--([a-z]+)">([^<]+)</p></dd>', html).groups()
    body = client.get(f"/api/v1/reports/{token}").get_json()
    assert body["status_label"] == label
    return badge, label, body["status"]


def expect(kind: StatusKind) -> tuple[str, str, str]:
    return STATUS_BADGES[kind], CITIZEN_STATUS_LABELS[kind], str(kind)


def file_report(client, theme: str, n: int) -> tuple[str, str]:
    body = client.post(
        "/api/v1/reports", json=report_payload(description=THEMES[theme].format(n=n), administration=ADMIN[theme])
    ).get_json()
    return body["reference"], body["tracking_token"]


def reports_of(app, references: list[str]) -> list[int]:
    with app.app_context(), get_db(app).session_scope() as s:
        return [s.scalar(select(Report.id).where(Report.reference == r)) for r in references]


def statuses_of(app, references: list[str]) -> list[StatusKind]:
    with app.app_context(), get_db(app).session_scope() as s:
        return [s.scalar(select(Report.status).where(Report.reference == r)) for r in references]


def in_step(app) -> bool:
    """Every report in an irritant carries its irritant's status; every other report « new »."""
    with app.app_context(), get_db(app).session_scope() as s:
        rows = s.execute(select(Report.status, Cluster.status).outerjoin(Cluster, Cluster.id == Report.cluster_id))
        return all(report == (cluster or S.NEW) for report, cluster in rows)


def test_tracking_page_and_api_follow_the_irritant_and_only_the_writer_writes(tfidf_app):
    app, client = tfidf_app, tfidf_app.test_client()
    writes = StatusWrites()
    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", writes)
    try:
        refs = post_reports(client, per_theme=4)
        run(app, "recluster")
        with app.app_context(), get_db(app).session_scope() as s:
            agent = agent_for(s, make_user(s, "admin"))
            cluster_of = {
                t: s.scalar(select(Report.cluster_id).where(Report.reference == r[0])) for t, r in refs.items()
            }
            s.commit()
        first_rsa, rsa = file_report(client, "rsa", 40)  # placed at once in the RSA irritant, « new »
        _, iban = file_report(client, "iban", 41)
        _, rdv = file_report(client, "rdv", 42)
        assert shown(client, rsa) == shown(client, iban) == expect(S.NEW)

        def decide(action, *args, **kwargs):
            with app.app_context(), get_db(app).session_scope() as s:
                result = action(s, agent, *args, **kwargs)
                s.commit()
                return result

        # A status decision; then a new report placed in that irritant shows its status at once.
        decide(triage.change_status, cluster_of["rsa"], S.TRIAGED)
        assert shown(client, rsa) == expect(S.TRIAGED)
        _, late = file_report(client, "rsa", 43)
        assert shown(client, late) == expect(S.TRIAGED)

        ranking = settings_of(app).ranking

        # A merge brings the source's reports under the target's status; undoing it gives them back their own.
        decide(triage.merge, cluster_of["rsa"], [cluster_of["iban"]], ranking=ranking)
        assert shown(client, iban) == expect(S.TRIAGED)
        decide(triage.unmerge, cluster_of["iban"], ranking=ranking)
        assert shown(client, iban) == expect(S.NEW)

        # A split: the report taken out is in a new irritant, « new »; those kept keep their irritant's status.
        taken = reports_of(app, [first_rsa])
        new = decide(
            triage.split, cluster_of["rsa"], taken, label="RSA : dossier bloqué depuis des mois", ranking=ranking
        )
        assert shown(client, rsa) == expect(S.NEW)
        assert shown(client, late) == expect(S.TRIAGED)

        # A move, then decisions on the irritants the reports are in.
        decide(triage.move_report, reports_of(app, refs["rdv"][:1])[0], cluster_of["rsa"], ranking=ranking)
        assert statuses_of(app, refs["rdv"][:1]) == [S.TRIAGED]
        decide(triage.change_status, cluster_of["rdv"], S.NOT_OUR_SCOPE, routed_to="Ministère de l'Intérieur")
        decide(triage.change_status, new.id, S.SPAM)
        assert shown(client, rdv) == expect(S.NOT_OUR_SCOPE)
        assert shown(client, rsa) == expect(S.SPAM)
        assert shown(client, late) == expect(S.TRIAGED)
        assert in_step(app)

        # A re-clustering keeps every report in step with the irritant it ends up in.
        post_reports(client, per_theme=2)
        run(app, "recluster")
        assert in_step(app)
        assert shown(client, rdv) == expect(S.NOT_OUR_SCOPE)
    finally:
        event.remove(engine, "before_cursor_execute", writes)
    assert writes.outside == []
    assert writes.by_writer > 0


def test_a_report_in_no_irritant_is_new_and_the_writer_leaves_it_so(app):
    with app.app_context(), get_db(app).session_scope() as s:
        cluster = make_cluster(s, reports=2, status=S.PLANNED)  # builders put reports in place without the writer
        loose = make_cluster(s, "Autre irritant", reports=1)
        s.execute(Report.__table__.update().where(Report.cluster_id == loose.id).values(cluster_id=None))
        sync_report_statuses(s, cluster_ids=[cluster.id, loose.id])
        statuses = dict(s.execute(select(Report.cluster_id, Report.status)).all())
        assert statuses == {cluster.id: S.PLANNED, None: S.NEW}


def _assigned(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
    return [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []


def writes_to_report_status(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every write of a report's status in a module's source."""
    found = []
    tree = parse(path)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]

    def where(node: ast.AST) -> tuple[str, int]:
        inside = [f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)]
        return (inside[-1].name if inside else "<module>", node.lineno)

    for node in ast.walk(tree):
        for target in _assigned(node):  # report.status = …, report.cluster_id, report.status = …
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and "report" in ast.unparse(target).lower()
            ):
                found.append(where(node))
        # update(Report).values(status=…), set_rows(session, Report, ids, status=…), Report(status=…)…
        keywords = node.keywords if isinstance(node, ast.Call) else []
        if any(k.arg == "status" for k in keywords) and re.search(r"\bReport\b", ast.unparse(node)):
            found.append(where(node))
        # {"status": …} handed to an INSERT of reports, as intake's bulk paths build them
        keys = node.keys if isinstance(node, ast.Dict) and path.parent.name == "intake" else []
        if any(isinstance(k, ast.Constant) and k.value == "status" for k in keys):
            found.append(where(node))
    return found


def test_only_the_writer_writes_a_reports_status_in_the_source():
    writes = {
        (str(p.relative_to(PACKAGE)), *w) for p in sorted(PACKAGE.rglob("*.py")) for w in writes_to_report_status(p)
    }
    assert writes and {(path, function) for path, function, _ in writes} == {("clusters/report_status.py", WRITER)}


def test_the_source_check_sees_the_writes_it_forbids(tmp_path):
    sample = tmp_path / "intake" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "def place(report, cluster):\n"
        "    report.status = cluster.status\n"
        "    report.cluster_id, report.status = 1, 'new'\n"
        "    set_rows(session, Report, ids, cluster_id=1, status=target.status)\n"
        "    session.execute(update(Report).where(Report.cluster_id == 1).values(status='fixed'))\n"
        "    values = {'reference': 'ABC', 'status': 'new'}\n"
        "    cluster.status = 'fixed'\n"
        "    render('page.html', status=422)\n",
        encoding="utf-8",
    )
    assert sorted(writes_to_report_status(sample)) == [("place", n) for n in (2, 3, 4, 5, 6)]
