"""IRRITANTS_PROXY_FIX_COUNT: with one trusted proxy, the address and scheme it forwards are the client's; with none
(the default), forwarded headers change nothing — a client cannot choose the address its limits count against."""

from __future__ import annotations

from flask import Flask, jsonify, request

PROXY = "10.0.0.2"
FORWARDED = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7", "X-Forwarded-Proto": "https"}


def _seen(app: Flask) -> dict[str, str]:
    """What the application sees of a request that came through PROXY with forwarded headers."""

    @app.get("/_test/vu")
    def seen():  # type: ignore[no-untyped-def]
        return jsonify(address=request.remote_addr, scheme=request.scheme)

    answer = app.test_client().get("/_test/vu", headers=FORWARDED, environ_base={"REMOTE_ADDR": PROXY})
    assert answer.status_code == 200
    return answer.get_json()


def test_with_one_trusted_proxy_the_address_it_appended_is_the_client(make_app) -> None:
    seen = _seen(make_app(PROXY_FIX_COUNT=1))
    # The last entry is the one the proxy wrote; the first was the client's own claim and is ignored.
    assert seen == {"address": "203.0.113.7", "scheme": "https"}


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(make_app) -> None:
    seen = _seen(make_app(PROXY_FIX_COUNT=0))
    assert seen == {"address": PROXY, "scheme": "http"}
