"""A real webhook receiver for tests: an HTTP server on 127.0.0.1, in a thread, that checks each request's signature
with the very function docs/webhooks.md gives receivers, and answers what the test tells it to."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"


def documented_verifier() -> Any:
    """``verify_signature(secret, body, header, now=None)`` as docs/webhooks.md writes it (its first Python block)."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert code, "docs/webhooks.md has no Python example"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(DOC), "exec"), namespace)
    return namespace["verify_signature"]


verify_signature = documented_verifier()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool  # the signature checked out with the receiver's secret at the time
    answered: int


class Receiver:
    """``url`` to register; ``secret`` to check signatures with; ``answer(500, 200)`` queues the next answers
    (then 200); ``received`` lists what came, in order."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.received: list[Received] = []
        self._answers: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                header = self.headers.get("X-Irritants-Signature", "")
                with receiver._lock:
                    secret = receiver.secret
                    status, extra = receiver._answers.popleft() if receiver._answers else (200, {})
                    verified = secret is not None and verify_signature(secret, body, header)
                    headers = {k: v for k, v in self.headers.items()}
                    receiver.received.append(Received(self.path, headers, body, verified, status))
                    receiver._arrived.notify_all()
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/irritants"

    def answer(self, *statuses: int, location: str | None = None) -> None:
        with self._lock:
            for status in statuses:
                self._answers.append((status, {"Location": location} if location else {}))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
