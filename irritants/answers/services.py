"""An administration's public answer on an irritant: written or corrected by its correspondant (or an administrator
in its name), screened for personal data like every text published as typed, audited with its text (it is public),
and announced by ``events.administration_answered`` in the same transaction. The caller commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.answers import scope
from irritants.answers.models import AdministrationAnswer
from irritants.audit import services as audit
from irritants.auth.policy import Action, Agent, forced_administration
from irritants.clusters.models import Cluster
from irritants.db import utcnow
from irritants.errors import StaleObject, ValidationFailed
from irritants.intake.redaction import has_personal_data
from irritants.referential.models import Administration
from irritants.status import StatusKind

PERSONAL_DATA = (
    "La réponse est publique : retirez-en les données personnelles (numéro de téléphone, courriel, NIR, IBAN, "
    "numéro d'allocataire…)."
)
STALE = "Cette réponse a été modifiée entre-temps : relisez-la avant de l'enregistrer à nouveau."
CLOSED = (StatusKind.DUPLICATE, StatusKind.SPAM)


# First words of administrations' names that are masculine (« du Crous », « du ministère »); the others are feminine
# (« de la CAF », « de la préfecture ») unless the name starts with a vowel (« de l'Urssaf ») or is a proper name.
_MASCULINE = frozenset({"centre", "ministère", "conseil", "office", "service", "fonds"})
_VOWELS = "aeiouyéèêàâîôûh"


def of_administration(name: str, acronym: str | None = None) -> str:
    """« de la CAF », « de l'Urssaf », « du Crous », « de France Travail »: how « Réponse … » names an administration
    (its acronym when it has one; the article from its name's first word)."""
    shown = acronym or name
    head = name.split()[0].lower() if name.split() else ""
    if shown.lower().startswith("france "):
        return f"de {shown}"
    if shown[:1].lower() in _VOWELS:
        return f"de l'{shown}"
    if head in _MASCULINE:
        return f"du {shown}"
    return f"de la {shown}"


@dataclass(frozen=True)
class ShownAnswer:
    """An answer as the public page and the API show it: the administration, never the agent who wrote it."""

    id: int
    administration: str  # slug
    administration_name: str
    administration_short: str  # its acronym when it has one
    of_administration: str  # « de la CAF »: « Réponse de la CAF »
    text: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


def answers_of(session: Session, cluster_id: int) -> list[ShownAnswer]:
    """An irritant's answers, the first given first."""
    rows = session.execute(
        select(AdministrationAnswer, Administration)
        .join(Administration, Administration.id == AdministrationAnswer.administration_id)
        .where(AdministrationAnswer.cluster_id == cluster_id)
        .order_by(AdministrationAnswer.created_at, AdministrationAnswer.id)
    ).all()
    return [
        ShownAnswer(
            id=answer.id,
            administration=admin.slug,
            administration_name=admin.name,
            administration_short=admin.acronym or admin.name,
            of_administration=of_administration(admin.name, admin.acronym),
            text=answer.text,
            created_at=answer.created_at,
            updated_at=answer.updated_at,
            version=answer.version,
        )
        for answer, admin in rows
    ]


def answering_for(session: Session, agent: Agent, cluster: Cluster, requested: str | None) -> list[Administration]:
    """The administrations ``agent`` may answer in the name of on ``cluster``: a correspondant's own, an
    administrator's choice among those the irritant concerns (``requested`` narrows it to one)."""
    slugs = scope.concerned(session, cluster.id)
    forced = forced_administration(agent)
    if forced is not None:
        slugs = slugs & {forced}
    elif requested is not None:
        slugs = slugs & {requested}
    if not slugs:
        return []
    stmt = select(Administration).where(Administration.slug.in_(sorted(slugs))).order_by(Administration.name)
    return list(session.scalars(stmt))


def publish(
    session: Session,
    agent: Agent,
    cluster: Cluster,
    text: str,
    *,
    administration: str | None = None,
    expected_version: int | None = None,
) -> AdministrationAnswer:
    """Write (or correct) the answer of an administration on ``cluster``; ``text`` is already cleaned and sized
    (``AnswerSchema``). The policy is asked here too: a correspondant answers for their administration only."""
    scope.check(session, agent, Action.ANSWER_PUBLICLY, cluster)
    if cluster.status in CLOSED:
        message = "Cet irritant a été regroupé avec un autre ou écarté : répondez sur l'irritant qui reste."
        raise ValidationFailed(message, errors={"text": [message]})
    if has_personal_data(text):
        raise ValidationFailed(PERSONAL_DATA, errors={"text": [PERSONAL_DATA]})
    choices = answering_for(session, agent, cluster, administration)
    if len(choices) != 1:
        message = (
            "Choisissez l'administration, parmi celles que cet irritant concerne, au nom de laquelle vous répondez."
        )
        raise ValidationFailed(message, errors={"administration": [message]})
    chosen = choices[0]
    answer = session.scalar(
        select(AdministrationAnswer).where(
            AdministrationAnswer.cluster_id == cluster.id, AdministrationAnswer.administration_id == chosen.id
        )
    )
    first = answer is None
    before = None
    if answer is None:
        answer = AdministrationAnswer(cluster_id=cluster.id, administration_id=chosen.id, author_id=agent.user_id)
        answer.text = text
        session.add(answer)
    else:
        if expected_version is not None and expected_version != answer.version:
            raise StaleObject(STALE)
        if answer.text == text:
            return answer
        before = {"text": answer.text}
        answer.text, answer.author_id, answer.updated_at = text, agent.user_id, utcnow()
    session.flush()
    audit.record(
        session,
        agent,
        "cluster.answer",
        "cluster",
        cluster.id,
        cluster_id=cluster.id,
        before=before,
        after={"administration": chosen.slug, "text": text, "version": answer.version},
    )
    events.administration_answered.send(
        session, answer_id=answer.id, cluster_id=cluster.id, administration=chosen.slug, first=first, agent=agent
    )
    return answer
