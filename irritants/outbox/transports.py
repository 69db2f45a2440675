"""Transports: how a queued message of one ``kind`` leaves, and how often it is retried.

A domain registers its transport from its ``init_app``: ``register_transport(app, "webhook", send_webhook,
retry=RetryPolicy(...))``. A transport gets the message (detached: read it, never change it) and the outbox
settings, does one delivery attempt and says how it went; it never touches the database. The "mail" transport is
built in: SMTP (``IRRITANTS_SMTP_URL``) or, without it, ``.eml`` files in ``MAIL_DIR`` for a developer to read.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol

from irritants.outbox.models import OutboxMessage
from irritants.settings import OutboxSettings, SmtpServer

_REGISTRY = "irritants.outbox.transports"
ERROR_LENGTH = 300
_ADDRESS = re.compile(r"\S+@\S+")


@dataclass(frozen=True)
class Outcome:
    """How one delivery attempt went. ``error`` is short and technical, never personal data; ``permanent``: do not
    retry (a 5xx SMTP refusal, a 410 from a webhook endpoint…)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off of failed attempts: ``first_delay``, then × ``factor`` each time; dead after ``max_attempts``
    attempts or once ``give_up_after`` has passed since the message was queued."""

    first_delay: dt.timedelta = dt.timedelta(minutes=1)
    factor: float = 2.0
    max_attempts: int = 8
    give_up_after: dt.timedelta = dt.timedelta(days=2)

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait before the next attempt after ``attempts`` failed ones."""
        return self.first_delay * (self.factor ** max(attempts - 1, 0))


Transport = Callable[[OutboxMessage, OutboxSettings], Outcome]


@dataclass(frozen=True)
class Registered:
    send: Transport
    retry: RetryPolicy


class _App(Protocol):
    extensions: dict[str, Any]


def register_transport(app: _App, kind: str, send: Transport, *, retry: RetryPolicy) -> None:
    """Deliver the messages of ``kind`` queued on ``app``'s database with ``send``, retried by ``retry``."""
    app.extensions.setdefault(_REGISTRY, {})[kind] = Registered(send, retry)


def transports_of(app: _App) -> Mapping[str, Registered]:
    """The transports registered on ``app``, by kind."""
    return dict(app.extensions.get(_REGISTRY, {}))


def short_error(text: str) -> str:
    """An error fit for ``last_error``: one line, addresses removed, at most ERROR_LENGTH characters."""
    text = _ADDRESS.sub("<adresse>", " ".join(str(text).split()))
    return text[:ERROR_LENGTH]


# --- the mail transport ------------------------------------------------------------------------------------------

MAIL_RETRY = RetryPolicy(
    first_delay=dt.timedelta(minutes=1), factor=3.0, max_attempts=8, give_up_after=dt.timedelta(days=3)
)


def build_email(message: OutboxMessage, settings: OutboxSettings) -> EmailMessage:
    """The MIME message of a queued mail: plain text, and HTML as an alternative when there is one."""
    payload = message.payload
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = payload["to"]
    email["Subject"] = payload["subject"]
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    email["Message-ID"] = mail_message_id(message, settings)
    if payload.get("reply_to"):
        email["Reply-To"] = payload["reply_to"]
    for name, value in (payload.get("headers") or {}).items():
        email[name] = value
    email.set_content(payload["text"])
    if payload.get("html"):
        email.add_alternative(payload["html"], subtype="html")
    return email


def mail_message_id(message: OutboxMessage, settings: OutboxSettings) -> str:
    """The Message-ID header: the id drawn at queue time, at the sender's domain (the same on every resend)."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "irritants.localhost"
    return f"<{message.message_id}@{domain}>"


def send_mail(message: OutboxMessage, settings: OutboxSettings) -> Outcome:
    """One attempt: hand the mail to the SMTP server, or write it into the mail folder without one."""
    email = build_email(message, settings)
    if settings.smtp is None:
        return _write_eml(email, message, settings.mail_dir)
    try:
        with _connect(settings.smtp) as smtp:
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        return _refused(code, reply)
    except smtplib.SMTPResponseException as exc:
        return _refused(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, None, short_error(f"{type(exc).__name__}: {exc}"))
    return Outcome(True, 250)


def _refused(code: int, reply: bytes | str) -> Outcome:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return Outcome(False, code, short_error(f"{code} {text}"), permanent=500 <= code < 600)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system's certificates takes over 100 ms: once per process, and only when TLS is asked for.
    return ssl.create_default_context()


def _connect(server: SmtpServer) -> smtplib.SMTP:
    smtp: smtplib.SMTP
    if server.ssl:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=_tls_context())
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.starttls:
            smtp.starttls(context=_tls_context())
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _write_eml(email: EmailMessage, message: OutboxMessage, folder: Path) -> Outcome:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
        # Written whole then renamed: a reader never sees half a message, a resend replaces the same file.
        path = folder / f"{stamp}-{message.id}-{message.topic}.eml"
        draft = path.with_suffix(".eml.part")
        draft.write_bytes(email.as_bytes())
        draft.replace(path)
    except OSError as exc:
        return Outcome(False, None, short_error(f"{type(exc).__name__}: {exc.strerror}"))
    return Outcome(True, None)
