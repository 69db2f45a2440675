"""Throttling of password sign-ins without account lockout (the caller commits).

The rule (OWASP Authentication Cheat Sheet, « Account Lockout », and OWASP's « device cookies » pattern):

- Failures are counted per address *and* per source together: the network the attempt comes from (its IP, or its
  /64 for IPv6, which one subscriber holds whole), or — once a browser has signed in to that address — the browser
  itself, through a signed device cookie. After ``max_failures`` failures a pair waits 1 minute, then twice as long
  after each further failure, at most ``max_delay``. An attacker elsewhere only ever slows their own pair: the
  agent's right password is never refused because someone else guessed wrong.
- Against guessing spread over many networks, failures from browsers that never signed in to the address are also
  counted together; after ``account_max_failures`` such browsers wait the same way. A browser with the device
  cookie of that address is never slowed by this, so the agent keeps signing in from their usual browser.
- Unknown addresses are counted exactly like existing ones, so answers (status, message, Retry-After, timing) never
  tell whether an account exists. Nothing is locked for good; a success clears its pair's count.
- Counts live in the database (every worker and machine sees them) under keyed HMACs, never the address or IP, and
  a count left alone for ``FORGET_AFTER`` is deleted. Per-IP limits on failed sign-ins (RATELIMIT_LOGIN) come on
  top, from the rate limiter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.auth import passwords, services
from irritants.auth.models import LoginThrottle, User
from irritants.settings import LoginSettings

FIRST_DELAY = dt.timedelta(minutes=1)
FORGET_AFTER = dt.timedelta(hours=24)
PAIR, ACCOUNT = "pair", "account"


#: How many failures before waits begin (per pair, per address for untrusted browsers) and the longest wait: the
#: sign-in settings (LOGIN_MAX_FAILURES, LOGIN_ACCOUNT_MAX_FAILURES, LOGIN_LOCK_MINUTES).
Rule = LoginSettings


@dataclass(frozen=True)
class Keys:
    """Counters an attempt is checked against: its pair, and the address's untrusted pool (None when trusted)."""

    pair: str
    account: str | None


@dataclass(frozen=True)
class Attempt:
    """Outcome of a sign-in attempt: the agent, or how long this source must wait (None: it may retry now)."""

    user: User | None
    wait: dt.timedelta | None = None


def _digest(secret_key: str, *parts: str) -> str:
    key = hashlib.sha256(f"login-throttle:{secret_key}".encode()).digest()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def account_key(secret_key: str, email: str) -> str:
    """Keyed HMAC of a normalised address (also what a device cookie is bound to)."""
    return _digest(secret_key, "account", services.normalise_email(email))


def keys_for(secret_key: str, account: str, *, network: str, device: str | None) -> Keys:
    """The counters of an attempt on an address (its ``account_key``) from ``network``, or from a browser trusted
    for that address (``device``, the nonce of its device cookie)."""
    if device:
        return Keys(pair=_digest(secret_key, "device", account, device), account=None)
    return Keys(pair=_digest(secret_key, "network", account, network), account=account)


def delay(failures: int, threshold: int, rule: Rule) -> dt.timedelta | None:
    """The wait after ``failures`` failures: none below ``threshold``, then 1 minute doubling up to the cap."""
    if failures < threshold:
        return None
    return min(rule.max_delay, FIRST_DELAY * 2 ** min(failures - threshold, 20))


def password_sign_in(session: Session, email: str, password: str, keys: Keys, rule: Rule, now: dt.datetime) -> Attempt:
    """Refuse without checking while a wait runs; else check the password and count a failure on every counter.

    The counters' rows are locked first (FOR UPDATE on PostgreSQL; SQLite's write transaction already serialises),
    so a burst of parallel guesses on one pair or one address is checked one at a time: none slips past a wait
    because the failures before it were not counted yet.
    """
    return _guarded(session, keys, rule, now, lambda: services.authenticate(session, email, password))


def current_password(session: Session, user: User, password: str, keys: Keys, rule: Rule, now: dt.datetime) -> Attempt:
    """The signed-in agent's current password, asked before a change, checked and counted as a sign-in is: a stolen
    open session gives no more guesses at the password than the sign-in page does."""
    return _guarded(
        session,
        keys,
        rule,
        now,
        lambda: user if user.active and passwords.verify_password(user.password_hash, password) else None,
    )


def _guarded(session: Session, keys: Keys, rule: Rule, now: dt.datetime, check: Callable[[], User | None]) -> Attempt:
    """``check`` unless a wait runs on one of the attempt's counters; a failure is counted on every counter."""
    counters = [
        (_locked(session, key, scope, now), threshold)
        for key, scope, threshold in (
            (keys.pair, PAIR, rule.max_failures),
            (keys.account, ACCOUNT, rule.account_max_failures),
        )
        if key
    ]
    running = [row.blocked_until for row, _ in counters if row.blocked_until is not None and row.blocked_until > now]
    if running:
        return Attempt(None, max(running) - now)
    user = check()
    if user is not None:
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.pair))
        return Attempt(user)
    waits = []
    for row, threshold in counters:
        row.failures += 1
        row.updated_at = now
        wait = delay(row.failures, threshold, rule)
        if wait is not None:
            row.blocked_until = now + wait
            waits.append(wait)
    session.flush()
    forget_idle(session, now)
    return Attempt(None, max(waits, default=None))


def _locked(session: Session, key: str, scope: str, now: dt.datetime) -> LoginThrottle:
    """The counter's row, created if needed, locked until the transaction ends; a count idle for a day restarts."""
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalars(query).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(LoginThrottle(key=key, scope=scope, failures=0, updated_at=now))
        except IntegrityError:
            pass  # created meanwhile by a parallel attempt: lock that one
        row = session.scalars(query).one()
    elif row.updated_at < now - FORGET_AFTER:
        row.failures, row.blocked_until, row.updated_at = 0, None, now
    return row


def forget_idle(session: Session, now: dt.datetime) -> int:
    """Delete counters without a failure for ``FORGET_AFTER`` (their waits ended long ago); returns how many."""
    stale = delete(LoginThrottle).where(LoginThrottle.updated_at < now - FORGET_AFTER)
    return session.execute(stale.execution_options(synchronize_session=False)).rowcount or 0
