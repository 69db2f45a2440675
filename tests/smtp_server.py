"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of the test process) that records what it accepts and
can be told to refuse the next messages with a 4xx or 5xx reply."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every accepted message; ``refuse(reply, times)`` answers DATA with ``reply``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._refusals: list[str] = []
        self._lock = threading.Lock()

    def refuse(self, reply: str, times: int = 1) -> None:
        with self._lock:
            self._refusals.extend([reply] * times)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
            self._refusals.clear()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self._refusals:
                return self._refusals.pop(0)
            self.messages.append(message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message["Message-ID"] for message in self.messages]


@contextmanager
def smtp_server(
    credentials: tuple[str, str] | None = None, *, port: int | None = None
) -> Iterator[tuple[Recorder, str]]:
    """A recording SMTP server on a free port of 127.0.0.1 (or on ``port``: a server that comes up where mail was
    refused until then), and its ``smtp://`` URL; with ``credentials``, it offers AUTH (over plain text: a test server
    on the loopback), accepts only that user and password, and records in ``recorder.logins`` who signed in."""
    recorder = Recorder()
    port = port or free_port()
    options: dict[str, Any] = {}
    if credentials:

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
            if given == credentials:
                recorder.logins.append(given[0])
            return AuthResult(success=given == credentials)

        options = {"authenticator": authenticator, "auth_require_tls": False}
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
