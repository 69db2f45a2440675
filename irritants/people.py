"""Who a report, a « moi aussi » or an abuse flag comes from, without knowing who they are.

A *supporter id* is a random identifier the server issues and signs (the browser's cookie, or what API clients
get from ``POST /api/v1/supporters``): a client cannot make up new people, only ask for new ids. A *source* is
the network a request came from (an IPv4 address, an IPv6 /64), kept only as a keyed hash and only for
``SOURCE_RETENTION_DAYS``: however many ids one network asks for, it counts once per irritant and per excerpt.
No Flask, no database: stdlib and itsdangerous.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets

from itsdangerous import BadSignature, Signer

from irritants.errors import IrritantsError

_SALT = "irritants.supporter-id"
# When API clients' own ids were deprecated (the release that brought signed ids).
UNSIGNED_DEPRECATED_ON = dt.date(2026, 12, 3)
ID_MIN, ID_MAX = 16, 100


class UnsignedSupporterRefused(IrritantsError):
    """An X-Supporter-Id the server did not issue, after the sunset date."""

    status, slug, title = 400, "unsigned-supporter-id", "Identifiant de soutien non délivré par le service"


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=_SALT, digest_method=hashlib.sha256)


def issue_supporter_id(secret_key: str) -> str:
    """A new random supporter id, signed: ``<random>.<signature>`` (ASCII, 67 characters)."""
    return _signer(secret_key).sign(secrets.token_urlsafe(18)).decode()


def is_issued(secret_key: str, value: str | None) -> bool:
    """Whether ``value`` is a supporter id this service signed (a forged or home-made one is not)."""
    if not value or len(value) > ID_MAX or not value.isascii():
        return False
    try:
        _signer(secret_key).unsign(value)
    except BadSignature:
        return False
    return True


def person_key(secret_key: str, browser_id: str) -> str:
    """Keyed HMAC of a random browser identifier: the same person, never who they are."""
    key = hashlib.sha256(f"person-key:{secret_key}".encode()).digest()
    return hmac.new(key, browser_id.encode(), hashlib.sha256).hexdigest()


def network_of(address: str | None) -> str:
    """The network a client address stands for: the IPv4 address itself, or the /64 of an IPv6 address (one
    household or phone usually holds a whole /64)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def source_key(secret_key: str, address: str | None) -> str:
    """Keyed HMAC of the client's network: equal for one network, meaningless without the secret."""
    key = hashlib.sha256(f"source-key:{secret_key}".encode()).digest()
    return hmac.new(key, network_of(address).encode(), hashlib.sha256).hexdigest()


def unsigned_allowed(sunset: dt.date, now: dt.datetime) -> bool:
    """Whether a home-made X-Supporter-Id is still accepted (before the sunset day, UTC)."""
    return now < dt.datetime.combine(sunset, dt.time(), tzinfo=dt.UTC)
