"""ProConnect (OpenID Connect) for agents, with Authlib's Flask client.

Authorization code flow with state, nonce and PKCE, kept in the (signed) session cookie; Authlib exchanges the
code and validates the ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce). The
userinfo answer is then read: ProConnect sends it as a signed JWT (``application/jwt``), which is verified with
the same JWKS; plain JSON is accepted too (other providers, test doubles).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from werkzeug.wrappers import Response

from irritants.errors import IrritantsError
from irritants.sanitize import escape_for_log

log = logging.getLogger(__name__)

EXTENSION = "irritants.proconnect"
NAME = "proconnect"
# Asymmetric algorithms only: an HMAC "signature" made with a public key must never pass.
DEFAULT_ALGORITHMS = ("RS256", "ES256", "PS256")
HTTP_TIMEOUT_SECONDS = 10
UNAVAILABLE = "ProConnect ne répond pas pour le moment : réessayez dans quelques instants."


class ProConnectError(IrritantsError):
    """The ProConnect answer cannot be trusted or used; nobody is signed in."""

    status, slug, title = 400, "proconnect-refused", "Connexion avec ProConnect impossible"


class ProConnectUnavailable(IrritantsError):
    status, slug, title = 502, "proconnect-unavailable", "ProConnect ne répond pas"


@dataclass(frozen=True)
class Identity:
    """Who ProConnect says signed in."""

    subject: str
    email: str | None
    email_verified: bool
    name: str
    id_token: str


def enabled(config: Any) -> bool:
    """ProConnect is offered when an issuer and a client id are configured."""
    return bool(config.get("PROCONNECT_ISSUER") and config.get("PROCONNECT_CLIENT_ID"))


def provider_origin(config: Any) -> str | None:
    """Scheme and host of the provider, when ProConnect is on (for the CSP: see create_app)."""
    if not enabled(config):
        return None
    parts = urlsplit(config["PROCONNECT_ISSUER"])
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    """Register the ProConnect client for this app (one per app: tests build apps with different providers)."""
    if not enabled(app.config):
        return
    oauth = OAuth(app)
    issuer = app.config["PROCONNECT_ISSUER"].rstrip("/")
    app.extensions[EXTENSION] = oauth.register(
        NAME,
        client_id=app.config["PROCONNECT_CLIENT_ID"],
        client_secret=app.config["PROCONNECT_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["PROCONNECT_SCOPES"],
            "code_challenge_method": "S256",
            # ProConnect's documented way: client_id and client_secret in the token request's body.
            "token_endpoint_auth_method": "client_secret_post",
            "timeout": HTTP_TIMEOUT_SECONDS,
        },
    )


def _client() -> Any:
    return current_app.extensions[EXTENSION]


def authorize_redirect(redirect_uri: str) -> Response:
    """Redirect to ProConnect; state, nonce and PKCE verifier are saved in the session by Authlib."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except requests.RequestException as exc:
        log.warning("ProConnect discovery failed: %s", type(exc).__name__)
        raise ProConnectUnavailable(UNAVAILABLE) from exc


def finish_login() -> Identity:
    """Handle the callback: check state, exchange the code, validate the ID token, read userinfo."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except MismatchingStateError as exc:
        raise ProConnectError(
            "La demande de connexion n'a pas pu être vérifiée (elle a expiré ou ne vient pas de ce navigateur). "
            "Recommencez la connexion depuis la page « Connexion »."
        ) from exc
    except OAuthError as exc:
        log.info("ProConnect refused the sign-in: %s", escape_for_log(exc.error))  # from the query string
        raise ProConnectError("ProConnect n'a pas confirmé votre identité. Recommencez la connexion.") from exc
    except JoseError as exc:
        log.warning("ProConnect ID token rejected: %s", type(exc).__name__)
        raise ProConnectError("La réponse de ProConnect n'a pas pu être vérifiée. Recommencez la connexion.") from exc
    except requests.RequestException as exc:
        log.warning("ProConnect token request failed: %s", type(exc).__name__)
        raise ProConnectUnavailable(UNAVAILABLE) from exc
    id_claims = token.get("userinfo")
    if not token.get("id_token") or not id_claims or not id_claims.get("sub"):
        raise ProConnectError("La réponse de ProConnect ne contient pas d'identité vérifiable.")
    info = fetch_userinfo(client, token, subject=id_claims["sub"])
    email = info.get("email") or id_claims.get("email")
    name = " ".join(str(info.get(k) or "").strip() for k in ("given_name", "usual_name")).strip()
    return Identity(
        subject=str(id_claims["sub"]),
        email=str(email) if email else None,
        # ProConnect vouches for agents' addresses and may not send the claim; an explicit false is refused.
        email_verified=info.get("email_verified", id_claims.get("email_verified", True)) is not False,
        name=name or str(info.get("name") or ""),
        id_token=token["id_token"],
    )


def fetch_userinfo(client: Any, token: dict[str, Any], *, subject: str) -> dict[str, Any]:
    """The userinfo claims, from JSON or from a signed JWT; their subject must be the ID token's."""
    metadata = client.load_server_metadata()
    try:
        response = client.get(metadata["userinfo_endpoint"], token=token)
        response.raise_for_status()
    except requests.RequestException as exc:
        log.warning("ProConnect userinfo request failed: %s", type(exc).__name__)
        raise ProConnectUnavailable(UNAVAILABLE) from exc
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/jwt":
            algorithms = metadata.get("userinfo_signing_alg_values_supported") or metadata.get(
                "id_token_signing_alg_values_supported"
            )
            checks = {
                "issuer": metadata.get("issuer", ""),
                "client_id": client.client_id,
                "subject": subject,
                "algorithms": algorithms,
            }
            try:
                claims = verify_signed_userinfo(response.text.strip(), client.fetch_jwk_set(), **checks)
            except InvalidKeyIdError:
                # The provider rotated its keys since the JWKS was cached: fetch it once more.
                claims = verify_signed_userinfo(response.text.strip(), client.fetch_jwk_set(force=True), **checks)
        else:
            claims = response.json()
            if not isinstance(claims, dict) or claims.get("sub") != subject:
                raise ProConnectError("La réponse de ProConnect ne correspond pas à l'identité vérifiée.")
    except (JoseError, ValueError) as exc:
        log.warning("ProConnect userinfo rejected: %s", type(exc).__name__)
        raise ProConnectError("La réponse de ProConnect n'a pas pu être vérifiée. Recommencez la connexion.") from exc
    return claims


def verify_signed_userinfo(
    value: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    subject: str,
    algorithms: Collection[str] | None = None,
) -> dict[str, Any]:
    """Claims of a signed userinfo JWT, after checking signature (JWKS), subject, and issuer/audience if present.

    Raises joserfc's ``JoseError`` subclasses when anything does not match.
    """
    allowed = [alg for alg in (algorithms or DEFAULT_ALGORITHMS) if alg in DEFAULT_ALGORITHMS] or DEFAULT_ALGORITHMS
    key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    # Providers add header parameters of their own: only the algorithm list is enforced on the header.
    registry_jws = JWSRegistry(algorithms=list(allowed), strict_check_header=False)
    decoded = jwt.decode(value, key_set, registry=registry_jws)
    registry = jwt.JWTClaimsRegistry(
        sub={"essential": True, "value": subject},
        iss={"value": issuer},
        aud={"value": client_id},
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def logout_redirect(id_token: str, post_logout_redirect_uri: str) -> Response:
    """RP-initiated logout: send the browser to ProConnect's end_session_endpoint (state kept in the session)."""
    try:
        return _client().logout_redirect(post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token)
    except (requests.RequestException, RuntimeError) as exc:
        log.warning("ProConnect logout unavailable: %s", type(exc).__name__)
        raise ProConnectUnavailable(
            "Vous êtes déconnecté(e) de ce service, mais ProConnect ne répond pas : fermez votre navigateur pour "
            "terminer aussi votre session ProConnect."
        ) from exc


def check_logout_state() -> bool:
    """True when the provider came back from logout with the state we sent."""
    try:
        _client().validate_logout_response()
    except OAuthError:
        return False
    return True
