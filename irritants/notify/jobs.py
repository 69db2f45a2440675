"""The ``notices`` background job (and ``irritants tell-status``): due status notices told, one batch per run, in
one transaction that one worker at a time takes (``one_at_a_time``), with the links of the public address."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from irritants.db import get_db, utcnow
from irritants.feedback.signing import support_token
from irritants.locks import one_at_a_time
from irritants.notify.grouping import Links, Told, tell_due
from irritants.notify.unsubscribe import token_for
from irritants.outbox.rendering import absolute_url
from irritants.settings import settings_of

LOCK = "notices"


def tell_due_notices(app: Flask) -> int:
    """The ``notices`` background job: one batch of due irritants told, in one transaction taken by one worker at a
    time; returns how many irritants it took (0: nothing due)."""
    return tell_batch(app).clusters


def tell_batch(app: Flask) -> Told:
    """One batch of due irritants told (see ``tell_due_notices``), with what it did."""
    secret_key = app.config["SECRET_KEY"]
    links = Links(
        tracking=lambda token: absolute_url("intake.tracking", app=app, token=token),
        cluster=lambda cluster_id: absolute_url("irritants.cluster_page", app=app, cluster_id=cluster_id),
        unsubscribe=lambda key: absolute_url("unsubscribe.page", app=app, token=token_for(secret_key, key)),
        survey_report=lambda token, answer: absolute_url("survey.report_link", app=app, token=token, reponse=answer),
        survey_support=lambda support_id, answer: absolute_url(
            "survey.support_link", app=app, signed=support_token(secret_key, support_id), reponse=answer
        ),
    )
    window = dt.timedelta(minutes=settings_of(app).outbox.group_minutes)
    # Templates render in the app's context (the runners give one; a direct call may not).
    with app.app_context(), get_db(app).session_scope() as session, one_at_a_time(session, LOCK):
        told = tell_due(session, now=utcnow(), window=window, secret_key=secret_key, links=links)
        session.commit()  # the end of the lock's block
    return told
