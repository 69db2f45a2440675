"""Honeypot and minimum fill time, without CAPTCHA."""

from __future__ import annotations

import datetime as dt

from irritants.intake.antiabuse import check_form_token, issue_form_token

SECRET = "unit-secret"


def test_a_form_sent_after_the_minimum_time_passes():
    token = issue_form_token(SECRET)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    check = check_form_token(token, SECRET, min_seconds=3, max_seconds=3600, now=later)
    assert check.ok and check.nonce


def test_a_form_sent_too_fast_is_refused_but_keeps_its_nonce():
    token = issue_form_token(SECRET)
    check = check_form_token(token, SECRET, min_seconds=3, max_seconds=3600)
    assert not check.ok and check.reason == "too_fast" and check.nonce


def test_missing_forged_or_foreign_tokens_are_refused():
    assert check_form_token(None, SECRET, min_seconds=0, max_seconds=60).reason == "missing"
    assert check_form_token("forged.token", SECRET, min_seconds=0, max_seconds=60).reason == "invalid"
    other = issue_form_token("another-secret")
    assert check_form_token(other, SECRET, min_seconds=0, max_seconds=60).reason == "invalid"


def test_each_displayed_form_gets_its_own_nonce():
    first = check_form_token(issue_form_token(SECRET), SECRET, min_seconds=0, max_seconds=60)
    second = check_form_token(issue_form_token(SECRET), SECRET, min_seconds=0, max_seconds=60)
    assert first.nonce != second.nonce
