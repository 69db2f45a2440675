"""One webhook request: a POST to the addresses ``addresses.resolve`` checked, with short timeouts, no redirect.

The standard library's ``http.client`` is used rather than requests: it never follows a redirect, and its
connection can be pinned to the checked addresses while TLS still verifies the certificate against the URL's host
name (the ``Host`` header and SNI stay the name). No proxy is used: deliveries go straight to the receiver.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from irritants.webhooks.addresses import AddressRefused, parse, resolve

ERROR_MAX = 200
READ_AT_MOST = 4096  # of the answer's body: only its status matters


@dataclass(frozen=True)
class Answer:
    """What one request gave: the status code (None when there was no answer), why it failed, how long it took."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None


def _pinned(addresses: list[tuple[socket.AddressFamily, tuple]]) -> Any:
    """``http.client``'s connection maker, connecting to the checked addresses only (the first that answers)."""

    def create_connection(_address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        failure: OSError | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            return sock
        raise failure or OSError("aucune adresse")

    return create_connection


def _connection(scheme: str, host: str, port: int, timeout: float, addresses: list) -> http.client.HTTPConnection:
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn._create_connection = _pinned(addresses)  # type: ignore[attr-defined]  # the one hook http.client offers
    return conn


def _short(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "délai dépassé"
    if isinstance(exc, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificat refusé : {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS : {exc.reason or exc}"
    return f"{type(exc).__name__} : {exc}"[:ERROR_MAX]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Answer:
    """POST ``body`` to ``url``; a 2xx answer is a success, anything else (3xx included: never followed) a failure."""
    started = time.monotonic()

    def done(status: int | None, error: str | None) -> Answer:
        return Answer(status, error[:ERROR_MAX] if error else None, round((time.monotonic() - started) * 1000))

    try:
        target = parse(url, allow_private=allow_private)
        addresses = resolve(target.host, target.port, allow_private=allow_private)
    except (ValueError, AddressRefused) as exc:
        return done(None, str(exc))
    conn = _connection(target.scheme, target.host, target.port, timeout, addresses)
    try:
        conn.request("POST", target.path, body=body, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        response.read(READ_AT_MOST)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return done(None, _short(exc))
    finally:
        conn.close()
    if 200 <= status < 300:
        return done(status, None)
    if 300 <= status < 400:
        return done(status, f"HTTP {status} : redirection non suivie")
    return done(status, f"HTTP {status}")
