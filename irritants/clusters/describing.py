"""An irritant's title and keywords, recomputed from the reports it holds now (after a merge, a split, a move).

Keywords are distinctive against a sample of the other irritants' reports; the title is « {démarche} : {ce qui
bloque} » from its most central reports (``clustering.title``). A title or keywords a product owner wrote
(``label_locked``) are never recomputed. Services: the caller commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clustering import cluster_terms, title
from irritants.clusters import engine
from irritants.clusters.models import Cluster, ReportVector
from irritants.intake.models import Report
from irritants.intake.moderation import public_text
from irritants.intake.redaction import redact
from irritants.referential.models import Administration, Procedure

MEMBER_SAMPLE = 300
BACKGROUND_SAMPLE = 600
# Reports read for a title: the first five give its clause, all of them how its words are usually spelt.
TITLE_SOURCES = 12


def demarche_and_place(
    session: Session, procedure_ids: Sequence[int | None], administration_ids: Sequence[int | None]
) -> tuple[str | None, str | None]:
    """The démarche and the administration most of an irritant's reports name (at least half of them), or None."""

    def dominant(ids: Sequence[int | None]) -> int | None:
        counts = Counter(i for i in ids if i)
        if not counts:
            return None
        best, count = counts.most_common(1)[0]
        return best if count * 2 >= len(ids) else None

    procedure = session.get(Procedure, dominant(procedure_ids) or 0)
    administration = session.get(Administration, dominant(administration_ids) or 0)
    where = (administration.acronym or administration.name) if administration is not None else None
    return (procedure.name if procedure is not None else None), where


def _central_first(session: Session, ids: list[int]) -> list[int]:
    """Report ids by closeness to their mean stored vector (one encoder), the others after in id order."""
    rows = session.execute(
        select(ReportVector.report_id, ReportVector.encoder, ReportVector.vector).where(ReportVector.report_id.in_(ids))
    ).all()
    if not rows:
        return ids
    encoders = Counter(r.encoder for r in rows)
    name = encoders.most_common(1)[0][0]
    kept = [r for r in rows if r.encoder == name]
    matrix = np.vstack([engine.from_bytes(r.vector) for r in kept])
    centroid = matrix.mean(axis=0)
    sims = matrix @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
    ranked = [kept[i].report_id for i in np.lexsort(([r.report_id for r in kept], -sims))]
    return ranked + sorted(set(ids) - set(ranked))


def describe(session: Session, clusters: Iterable[Cluster | None]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Recompute the keywords and title of these irritants from their reports; returns, for each one that changed,
    its (before, after) label and keywords for the decision's audit event. A title a product owner wrote is left as
    written, and so are their keywords unless there are none."""
    targets = list({c.id: c for c in clusters if c is not None}.values())
    if not targets:
        return {}
    ids = [c.id for c in targets]
    rows = session.execute(
        select(Report.id, Report.cluster_id, Report.description, Report.moderation_reasons, Report.procedure_id)
        .add_columns(Report.administration_id)
        .where(Report.cluster_id.in_(ids))
        .order_by(Report.id)
    ).all()
    members: dict[int, list[Any]] = {cid: [] for cid in ids}
    for row in rows:
        members[row.cluster_id].append(row)
    by_id = {r.id: r for r in rows}
    order = {cid: _central_first(session, [r.id for r in members[cid]])[:MEMBER_SAMPLE] for cid in ids}
    # The other irritants' latest reports: what makes a term distinctive of these ones rather than of every report.
    background = session.execute(
        select(Report.cluster_id, Report.description, Report.moderation_reasons)
        .where(Report.cluster_id.is_not(None), Report.cluster_id.not_in(ids))
        .order_by(Report.id.desc())
        .limit(BACKGROUND_SAMPLE)
    ).all()
    texts = [public_text(by_id[i].description, by_id[i].moderation_reasons) for cid in ids for i in order[cid]]
    labels = [position for position, cid in enumerate(ids) for _ in order[cid]]
    others = sorted({r.cluster_id for r in background})
    texts += [public_text(r.description, r.moderation_reasons) for r in background]
    labels += [len(ids) + others.index(r.cluster_id) for r in background]
    terms = cluster_terms(texts, labels, top_n=8)

    changes: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for position, cluster in enumerate(targets):
        chosen = order[cluster.id]
        if not chosen:
            continue
        found = terms.get(position)
        words = list(found.keywords) if found else []
        if cluster.label_locked:
            if cluster.keywords or not words:
                continue
            changes[cluster.id] = ({"keywords": []}, {"keywords": words})
            cluster.keywords = words
            continue
        demarche, where = demarche_and_place(
            session, [by_id[i].procedure_id for i in chosen], [by_id[i].administration_id for i in chosen]
        )
        # Redacted before the title is cut, so no number split by the cut escapes the redaction.
        sources = [redact(by_id[i].description) for i in chosen[:TITLE_SOURCES]]
        label = title(sources, found.weights if found else {}, demarche=demarche, where=where, keywords=words)
        before = {"label": cluster.label, "keywords": list(cluster.keywords or [])}
        if (cluster.label, list(cluster.keywords or [])) != (label, words):
            cluster.label, cluster.keywords = label, words
            changes[cluster.id] = (before, {"label": label, "keywords": words})
    return changes
