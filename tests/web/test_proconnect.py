"""ProConnect sign-in, end to end against a real OpenID provider (oidc-provider-mock on 127.0.0.1).

The mock answers userinfo in JSON; ProConnect answers with a signed JWT, so the provider can be asked to sign
its userinfo answers (with its own key, published in its JWKS) to drive that path end to end too.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import werkzeug.serving
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth import oidc
from irritants.auth.models import User
from irritants.db import get_db
from tests.conftest import make_user

CALLBACK = "http://irritants.test/agents/proconnect/retour"


@dataclass
class Provider:
    url: str
    client_id: str = ""
    client_secret: str = ""
    # Switches read by the provider's after_request hook.
    sign_userinfo: bool = False
    foreign_key: RSAKey | None = None
    userinfo_audience: str | None = None
    seen: list[str] = field(default_factory=list)
    signed_answers: int = 0

    def add_person(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204


def _mock_app(provider: Provider) -> Any:
    # The package still imports authlib.jose, which warns that it is deprecated: not this project's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock
        from oidc_provider_mock._storage import storage

    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)

    @app.after_request
    def _userinfo_as_jwt(response: Any) -> Any:
        from flask import request

        provider.seen.append(request.path)
        if request.path != "/userinfo" or response.status_code != 200 or not provider.sign_userinfo:
            return response
        claims = {**response.get_json(), "iss": provider.url, "aud": provider.userinfo_audience or provider.client_id}
        key = provider.foreign_key or RSAKey.import_key(storage.jwk.as_dict(is_private=True))
        kid = storage.jwk.as_dict().get("kid")
        header = {"alg": "RS256", **({"kid": kid} if kid else {})}
        response.set_data(jwt.encode(header, claims, key))
        response.mimetype = "application/jwt"
        provider.signed_answers += 1
        return response

    def quiet(environ: Any, start_response: Any) -> Any:
        # The mock leans on Authlib APIs that now warn as deprecated; the suite turns warnings into errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return list(app(environ, start_response))

    return quiet


@contextmanager
def running_provider(redirect_uri: str = CALLBACK) -> Iterator[Provider]:
    """A running OpenID provider on 127.0.0.1 with this service registered as a client (redirect URI fixed)."""
    holder = Provider(url="")
    server = werkzeug.serving.make_server("127.0.0.1", 0, _mock_app(holder), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    holder.url = f"http://127.0.0.1:{server.server_port}"
    try:
        registration = requests.post(
            f"{holder.url}/oauth2/clients",
            json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_post"},
            timeout=10,
        )
        assert registration.status_code == 201, registration.text
        holder.client_id = registration.json()["client_id"]
        holder.client_secret = registration.json()["client_secret"]
        yield holder
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def pc_app(make_app: Any, provider: Provider) -> Flask:
    return make_app(
        PROCONNECT_ISSUER=provider.url,
        PROCONNECT_CLIENT_ID=provider.client_id,
        PROCONNECT_CLIENT_SECRET=provider.client_secret,
    )


def _csrf(client: FlaskClient, path: str = "/agents/connexion") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on " + path
    return match.group(1)


def _to_provider(client: FlaskClient, *, next_path: str = "") -> str:
    response = client.post("/agents/proconnect", data={"csrf_token": _csrf(client), "next": next_path})
    assert response.status_code == 302
    return response.headers["Location"]


def _provider_answer(authorize_url: str, sub: str) -> str:
    """The agent identifies at the provider; returns the callback path and query it redirects to."""
    answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return f"{location.path}?{location.query}"


def sign_in_with_proconnect(client: FlaskClient, sub: str, *, next_path: str = "") -> Any:
    return client.get(_provider_answer(_to_provider(client, next_path=next_path), sub))


def _user(app: Flask, email: str) -> User:
    with get_db(app).session_scope() as s:
        return s.scalar(select(User).where(User.email == email))


def _agent(app: Flask, email: str, **fields: Any) -> User:
    with get_db(app).session_scope() as s:
        user = make_user(s, "product_owner", email=email)
        for key, value in fields.items():
            setattr(user, key, value)
        s.commit()
        return user


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/agents/").status_code == 200


def test_login_page_offers_proconnect_only_when_configured(make_app, pc_app):
    html = pc_app.test_client().get("/agents/connexion").get_data(as_text=True)
    assert 'class="fr-connect fr-connect--pro"' in html and "S’identifier avec" in html
    assert "Qu’est-ce que ProConnect ?" in html
    plain = make_app().test_client()
    assert "fr-connect--pro" not in plain.get("/agents/connexion").get_data(as_text=True)
    assert plain.post("/agents/proconnect", data={"csrf_token": _csrf(plain)}).status_code == 404


def test_authorization_request_carries_state_nonce_and_pkce(pc_app, provider):
    url = _to_provider(pc_app.test_client())
    assert url.startswith(f"{provider.url}/oauth2/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [provider.client_id]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid email given_name usual_name"]
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]


def test_known_agent_signs_in_and_the_subject_is_linked(pc_app, provider):
    _agent(pc_app, "camille.martin@beta.gouv.fr", name="")
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr", usual_name="Martin")
    client = pc_app.test_client()

    response = sign_in_with_proconnect(client, "sub-camille", next_path="/agents/?onglet=jetons")

    assert response.status_code == 303
    assert response.headers["Location"] == "/agents/?onglet=jetons"
    assert _signed_in(client)
    with client.session_transaction() as sess:
        assert sess["proconnect_id_token"].count(".") == 2
        assert sess["login_at"] == sess["seen_at"]
    user = _user(pc_app, "camille.martin@beta.gouv.fr")
    assert user.oidc_subject == "sub-camille" and user.last_login_at is not None
    assert user.name == "Martin"  # an account opened without a name takes the provider's
    assert "/userinfo" in provider.seen and "/oauth2/token" in provider.seen
    with get_db(pc_app).session_scope() as s:
        assert s.scalar(select(Event.action).where(Event.subject_id == user.id)) == "user.link_oidc"

    # Once linked, the subject is what counts, even if the provider's address changes.
    provider.add_person("sub-camille", email="c.martin@nouvelle-adresse.gouv.fr")
    other = pc_app.test_client()
    assert sign_in_with_proconnect(other, "sub-camille").status_code == 303
    assert _signed_in(other)


def test_signed_jwt_userinfo_is_verified_with_the_provider_keys(pc_app, provider):
    _agent(pc_app, "lea.dubois@beta.gouv.fr")
    provider.add_person("sub-lea", email="lea.dubois@beta.gouv.fr", usual_name="Dubois")
    provider.sign_userinfo = True
    client = pc_app.test_client()

    assert sign_in_with_proconnect(client, "sub-lea").status_code == 303
    assert provider.signed_answers == 1
    assert _signed_in(client)


def test_userinfo_signed_with_another_key_is_refused(pc_app, provider):
    _agent(pc_app, "lea.dubois@beta.gouv.fr")
    provider.add_person("sub-lea", email="lea.dubois@beta.gouv.fr")
    provider.sign_userinfo = True
    provider.foreign_key = RSAKey.generate_key(2048)
    client = pc_app.test_client()

    response = sign_in_with_proconnect(client, "sub-lea")

    assert response.status_code == 400
    assert "n'a pas pu être vérifiée" in response.get_data(as_text=True).replace("&#39;", "'")
    assert not _signed_in(client)


def test_userinfo_for_another_client_is_refused(pc_app, provider):
    _agent(pc_app, "lea.dubois@beta.gouv.fr")
    provider.add_person("sub-lea", email="lea.dubois@beta.gouv.fr")
    provider.sign_userinfo = True
    provider.userinfo_audience = "un-autre-service"
    client = pc_app.test_client()

    assert sign_in_with_proconnect(client, "sub-lea").status_code == 400
    assert not _signed_in(client)


def test_forged_state_is_refused_and_nobody_is_signed_in(pc_app, provider):
    _agent(pc_app, "camille.martin@beta.gouv.fr")
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr")
    client = pc_app.test_client()
    callback = _provider_answer(_to_provider(client), "sub-camille")
    forged = re.sub(r"state=[^&]+", "state=forged-by-an-attacker", callback)

    response = client.get(forged)

    assert response.status_code == 400
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Connexion avec ProConnect impossible" in html
    assert "n'a pas pu être vérifiée" in html
    assert not _signed_in(client)
    assert _user(pc_app, "camille.martin@beta.gouv.fr").oidc_subject is None


def test_callback_from_another_browser_is_refused(pc_app, provider):
    # Login CSRF: an attacker's own valid callback URL, opened in the victim's browser, must not sign them in.
    _agent(pc_app, "camille.martin@beta.gouv.fr")
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr")
    attacker, victim = pc_app.test_client(), pc_app.test_client()
    callback = _provider_answer(_to_provider(attacker), "sub-camille")

    response = victim.get(callback)

    assert response.status_code == 400
    assert not _signed_in(victim)


def test_unknown_agent_gets_a_clear_page_and_no_account(pc_app, provider):
    provider.add_person("sub-inconnu", email="personne@exemple.gouv.fr", usual_name="Inconnu")
    client = pc_app.test_client()

    response = sign_in_with_proconnect(client, "sub-inconnu")

    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Votre compte n’est pas encore ouvert : demandez à un administrateur." in html
    assert "personne@exemple.gouv.fr" in html
    assert not _signed_in(client)
    assert _user(pc_app, "personne@exemple.gouv.fr") is None


@pytest.mark.parametrize(
    "fields",
    [{"active": False}, {"oidc_subject": "sub-someone-else"}],
    ids=["deactivated", "linked-to-another-identity"],
)
def test_accounts_that_are_closed_or_linked_elsewhere_are_refused(pc_app, provider, fields):
    _agent(pc_app, "camille.martin@beta.gouv.fr", **fields)
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr")

    response = sign_in_with_proconnect(pc_app.test_client(), "sub-camille")

    assert response.status_code == 403


def test_explicitly_unverified_email_is_not_trusted(pc_app, provider):
    _agent(pc_app, "camille.martin@beta.gouv.fr")
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr", email_verified=False)

    assert sign_in_with_proconnect(pc_app.test_client(), "sub-camille").status_code == 403
    assert _user(pc_app, "camille.martin@beta.gouv.fr").oidc_subject is None


def test_logout_ends_the_session_here_then_at_proconnect(pc_app, provider):
    _agent(pc_app, "camille.martin@beta.gouv.fr")
    provider.add_person("sub-camille", email="camille.martin@beta.gouv.fr")
    client = pc_app.test_client()
    sign_in_with_proconnect(client, "sub-camille")
    with client.session_transaction() as sess:
        id_token = sess["proconnect_id_token"]
    epoch = _user(pc_app, "camille.martin@beta.gouv.fr").session_epoch

    response = client.post("/agents/deconnexion", data={"csrf_token": _csrf(client, "/agents/")})

    assert response.status_code == 302
    end_session = urlsplit(response.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{provider.url}/oauth2/end_session"
    query = parse_qs(end_session.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://irritants.test/agents/proconnect/deconnecte"]
    assert len(query["state"][0]) >= 20
    assert not _signed_in(client)
    assert _user(pc_app, "camille.martin@beta.gouv.fr").session_epoch == epoch + 1

    # The provider ends its own session, then sends the browser back with the state.
    confirm = requests.post(
        f"{provider.url}/oauth2/end_session/confirm",
        data={"redirect_uri": f"{query['post_logout_redirect_uri'][0]}?state={query['state'][0]}"},
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(confirm.headers["Location"])
    landing = client.get(f"{back.path}?{back.query}", follow_redirects=True)
    assert "Vous êtes déconnecté(e) de ce service et de ProConnect." in landing.get_data(as_text=True)


# --- the verification of signed userinfo, key by key -------------------------------------------------------------


@pytest.fixture
def keys() -> tuple[RSAKey, dict[str, Any]]:
    key = RSAKey.generate_key(2048, parameters={"kid": "cle-1"})
    return key, KeySet([key]).as_dict(private=False)


def _signed(key: Any, claims: dict[str, Any], alg: str = "RS256", kid: str = "cle-1") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, claims, key, algorithms=[alg])


CLAIMS = {"sub": "sub-1", "iss": "https://proconnect.example/api/v2", "aud": "client-1", "email": "a@b.gouv.fr"}
CHECKS = {"issuer": "https://proconnect.example/api/v2", "client_id": "client-1", "subject": "sub-1"}


def test_signed_userinfo_with_the_published_key_is_accepted(keys):
    key, jwks = keys
    assert oidc.verify_signed_userinfo(_signed(key, CLAIMS), jwks, **CHECKS)["email"] == "a@b.gouv.fr"
    ec = ECKey.generate_key("P-256", parameters={"kid": "cle-ec"})
    ec_jwks = KeySet([ec]).as_dict(private=False)
    token = _signed(ec, CLAIMS, alg="ES256", kid="cle-ec")
    assert oidc.verify_signed_userinfo(token, ec_jwks, **CHECKS, algorithms=["ES256"])["sub"] == "sub-1"


@pytest.mark.parametrize(
    "claims",
    [
        {**CLAIMS, "sub": "sub-2"},
        {**CLAIMS, "aud": "client-2"},
        {**CLAIMS, "iss": "https://faux-fournisseur.example"},
        {key: value for key, value in CLAIMS.items() if key != "sub"},
    ],
    ids=["other-subject", "other-audience", "other-issuer", "no-subject"],
)
def test_signed_userinfo_about_someone_else_is_refused(keys, claims):
    key, jwks = keys
    with pytest.raises(JoseError):
        oidc.verify_signed_userinfo(_signed(key, claims), jwks, **CHECKS)


def test_signed_userinfo_with_an_unknown_key_or_a_weak_algorithm_is_refused(keys):
    _key, jwks = keys
    stranger = RSAKey.generate_key(2048, parameters={"kid": "cle-1"})
    with pytest.raises(JoseError):
        oidc.verify_signed_userinfo(_signed(stranger, CLAIMS), jwks, **CHECKS)
    # An HMAC "signature" keyed with public material must never pass, nor an unsigned token.
    hmac_key = OctKey.import_key("secret-partage-devine-par-un-attaquant-0123456789")
    with pytest.raises(JoseError):
        oidc.verify_signed_userinfo(_signed(hmac_key, CLAIMS, alg="HS256"), jwks, **CHECKS)
    unsigned = f"{_b64({'alg': 'none', 'kid': 'cle-1'})}.{_b64(CLAIMS)}."
    with pytest.raises(JoseError):
        oidc.verify_signed_userinfo(unsigned, jwks, **CHECKS)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
