"""References and tracking tokens."""

from __future__ import annotations

import re

from irritants.accesslog import redact_path
from irritants.intake.services import derive_tracking_token, new_reference
from irritants.tokens import hash_token


def test_references_are_short_readable_and_not_sequential():
    refs = [new_reference() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-HJ-NP-TV-Z2-9]{3}-[A-HJ-NP-TV-Z2-9]{3}-[A-HJ-NP-TV-Z2-9]{3}", r) for r in refs)
    assert len(set(refs)) == len(refs)
    assert not any(c in "".join(refs) for c in "01OIL")


def test_tracking_tokens_carry_256_bits_and_depend_on_the_secret():
    token = derive_tracking_token("secret-a", "seed")
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert token == derive_tracking_token("secret-a", "seed")
    assert token != derive_tracking_token("secret-b", "seed")
    assert hash_token(token) != token and len(hash_token(token)) == 64


def test_access_logs_never_show_tracking_tokens():
    assert redact_path("/suivi/abcDEF123_-") == "/suivi/***"
    assert redact_path("/api/v1/reports/abcDEF123") == "/api/v1/reports/***"
    assert redact_path("/api/v1/reports") == "/api/v1/reports"
