"""Where deliveries may go: https URLs of hosts whose every address is public (no server-side request forgery
into the service's own network, its metadata service or its loopback).

Checked twice: when an endpoint is registered (the URL's shape, a literal address), and at each delivery, on the
addresses the host resolves to then — the ones the connection is then made to (``client.py``), so a DNS answer
that changes between the check and the connection (rebinding) is never followed. ``WEBHOOK_ALLOW_PRIVATE`` lifts the
address rule and allows http (development and tests, with a receiver on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from irritants.webhooks.models import URL_MAX

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_NAMES = ("localhost", "localhost.localdomain")


class AddressRefused(Exception):
    """A delivery's host is not a place deliveries may go (the message is short, French, without secrets)."""


@dataclass(frozen=True)
class Target:
    """A delivery URL, taken apart."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why a delivery may not go to ``ip``, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_unspecified or ip.is_multicast:
        return f"adresse {ip} non routable"
    if allow_private:
        return None
    if ip.is_loopback:
        return f"adresse de bouclage {ip} refusée"
    if ip.is_link_local:
        return f"adresse lien-local {ip} refusée"
    if ip.is_private:
        return f"adresse privée {ip} refusée"
    if ip.is_reserved or not ip.is_global:
        return f"adresse réservée {ip} refusée"
    return None


def parse(url: str, *, allow_private: bool) -> Target:
    """The URL's parts, or ValueError in French when it is not one deliveries may use."""
    if len(url) > URL_MAX:
        raise ValueError(f"L’adresse fait au plus {URL_MAX} caractères.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("Adresse invalide.") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise ValueError("L’adresse doit commencer par https://.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("L’adresse doit nommer un serveur (https://outil.exemple.fr/…).")
    if parts.username is not None or parts.password is not None:
        raise ValueError("L’adresse ne doit pas contenir d’identifiant ni de mot de passe : la signature suffit.")
    if parts.fragment:
        raise ValueError("L’adresse ne doit pas contenir de fragment (#…).")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("L’adresse ne doit contenir ni espace ni caractère de contrôle.")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and (why := refusal(literal, allow_private=allow_private)):
        raise ValueError(f"Adresse refusée : {why}.")
    if literal is None and not allow_private and (host.lower() in LOCAL_NAMES or host.lower().endswith(".localhost")):
        raise ValueError("Adresse refusée : ce serveur est la machine elle-même.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def resolve(host: str, port: int, *, allow_private: bool) -> list[tuple[socket.AddressFamily, tuple]]:
    """The addresses to connect to for ``host`` (every one checked); AddressRefused if any is refused — a name that
    also points inside is not followed at all."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"nom {host} introuvable") from exc
    found: list[tuple[socket.AddressFamily, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        why = refusal(ip, allow_private=allow_private)
        if why:
            raise AddressRefused(why)
        if (family, sockaddr) not in found:
            found.append((family, sockaddr))
    if not found:
        raise AddressRefused(f"nom {host} introuvable")
    return found
