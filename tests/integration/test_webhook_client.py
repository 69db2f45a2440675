"""One webhook request against a real HTTP server on 127.0.0.1: what counts as delivered, redirects never
followed, addresses refused before any connection."""

from __future__ import annotations

import socket

import pytest

from irritants.webhooks import client
from tests.webhook_receiver import Receiver

HEADERS = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_a_2xx_answer_is_a_delivery_with_its_status_and_duration(receiver):
    receiver.answer(204)
    answer = client.post(receiver.url + "?x=1", b'{"a":1}', HEADERS, timeout=5, allow_private=True)
    assert (answer.ok, answer.status, answer.error) == (True, 204, None)
    assert answer.duration_ms >= 0
    last = receiver.received[-1]
    assert (last.path, last.body, last.headers["Content-Type"]) == (
        "/hooks/irritants?x=1",
        b'{"a":1}',
        "application/json",
    )


def test_a_redirect_is_a_failure_and_is_not_followed(receiver):
    before = len(receiver.received)
    receiver.answer(302, location=receiver.url.replace("/hooks/irritants", "/ailleurs"))
    answer = client.post(receiver.url, b"{}", HEADERS, timeout=5, allow_private=True)
    assert (answer.ok, answer.status) == (False, 302)
    assert "redirection non suivie" in answer.error
    assert [r.path for r in receiver.received[before:]] == ["/hooks/irritants"]


def test_an_error_status_is_a_failure(receiver):
    receiver.answer(500)
    answer = client.post(receiver.url, b"{}", HEADERS, timeout=5, allow_private=True)
    assert (answer.ok, answer.status, answer.error) == (False, 500, "HTTP 500")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254"])
def test_private_and_loopback_addresses_are_refused_without_the_setting_and_nothing_is_sent(receiver, host):
    before = len(receiver.received)
    port = receiver.url.split(":")[2].split("/")[0]
    answer = client.post(f"https://{host}:{port}/hooks", b"{}", HEADERS, timeout=5, allow_private=False)
    assert answer.status is None and not answer.ok
    assert "refusée" in answer.error or "elle-même" in answer.error
    assert len(receiver.received) == before


def test_http_needs_the_setting(receiver):
    answer = client.post(receiver.url, b"{}", HEADERS, timeout=5, allow_private=False)
    assert answer.error == "L’adresse doit commencer par https://."


def test_a_server_that_does_not_answer_in_time_is_a_timeout():
    # A listening socket that never accepts: the connection completes (backlog), the answer never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        answer = client.post(f"http://127.0.0.1:{port}/", b"{}", HEADERS, timeout=0.3, allow_private=True)
    assert (answer.ok, answer.status, answer.error) == (False, None, "délai dépassé")


def test_a_closed_port_is_a_refused_connection():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    answer = client.post(f"http://127.0.0.1:{port}/", b"{}", HEADERS, timeout=2, allow_private=True)
    assert answer.error == "connexion refusée"


def test_the_connection_goes_to_the_checked_address_and_tls_checks_the_host_name(monkeypatch, receiver):
    # The name resolves (once, when checked) to the receiver's address; a later answer would say otherwise.
    seen = []
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        seen.append(host)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = receiver.url.split(":")[2].split("/")[0]
    before = len(receiver.received)
    answer = client.post(f"http://outil.exemple.test:{port}/pinned", b"{}", HEADERS, timeout=5, allow_private=True)
    assert answer.ok, answer.error
    assert seen == ["outil.exemple.test"]  # resolved once, by the check: the connection used that answer
    assert receiver.received[before].headers["Host"] == f"outil.exemple.test:{port}"
