"""Webhooks' pure parts: signing as receivers check it, the secrets sealed at rest, the address guard."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from irritants.settings import WebhookSettings
from irritants.webhooks import addresses, sealing, signing
from tests.webhook_receiver import verify_signature

KEY = WebhookSettings.derive_key("test-secret-key-for-the-suite")
BODY = '{"id":"d1","event":"irritant.status_changed","data":{"titre":"Créneaux"}}'.encode()


def test_a_signature_is_what_the_documented_receiver_accepts():
    secret = signing.new_secret()
    header = signing.sign(secret, BODY, 1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert verify_signature(secret, BODY, header, now=1_800_000_000 + 299)
    assert signing.verify(secret, BODY, header, now=1_800_000_000 - 299)


def test_the_documented_receiver_refuses_another_secret_a_changed_body_and_an_old_or_future_time():
    secret = signing.new_secret()
    header = signing.sign(secret, BODY, 1_800_000_000)
    assert not verify_signature(signing.new_secret(), BODY, header, now=1_800_000_000)
    assert not verify_signature(secret, BODY + b" ", header, now=1_800_000_000)
    assert not verify_signature(secret, BODY, header, now=1_800_000_000 + 301)
    assert not verify_signature(secret, BODY, header, now=1_800_000_000 - 301)
    assert not verify_signature(secret, BODY, "v1=" + header.split("v1=")[1], now=1_800_000_000)
    assert not signing.verify(secret, BODY, header.replace("t=1800000000", "t=1800000001"), now=1_800_000_000)


def test_secrets_are_long_random_and_prefixed():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 40


def test_a_sealed_secret_opens_with_its_key_for_its_endpoint_only():
    sealed = sealing.seal(KEY, "whsec_abc", endpoint_id=7)
    assert b"whsec_abc" not in sealed
    assert sealing.unseal(KEY, sealed, endpoint_id=7) == "whsec_abc"
    with pytest.raises(sealing.SecretUnreadable):
        sealing.unseal(KEY, sealed, endpoint_id=8)  # copied onto another endpoint's row
    with pytest.raises(sealing.SecretUnreadable):
        sealing.unseal(WebhookSettings.derive_key("another SECRET_KEY"), sealed, endpoint_id=7)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "fc00::1",
     "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1"],
)  # fmt: skip
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address):
    assert addresses.refusal(ipaddress.ip_address(address), allow_private=False)


def test_allowing_private_addresses_still_refuses_the_unroutable_ones():
    assert addresses.refusal(ipaddress.ip_address("127.0.0.1"), allow_private=True) is None
    assert addresses.refusal(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None
    assert addresses.refusal(ipaddress.ip_address("0.0.0.0"), allow_private=True)
    assert addresses.refusal(ipaddress.ip_address("224.0.0.1"), allow_private=True)


def test_public_addresses_are_allowed():
    for address in ("93.184.215.14", "2606:4700::1111"):
        assert addresses.refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://outil.exemple.fr/hook", "https://"),
        ("ftp://outil.exemple.fr/hook", "https://"),
        ("https:///hook", "serveur"),
        ("https://moi:motdepasse@outil.exemple.fr/hook", "identifiant"),
        ("https://outil.exemple.fr/hook#x", "fragment"),
        ("https://127.0.0.1/hook", "bouclage"),
        ("https://[::1]/hook", "bouclage"),
        ("https://10.0.0.5/hook", "privée"),
        ("https://169.254.169.254/latest/meta-data", "lien-local"),
        ("https://localhost/hook", "machine elle-même"),
        ("https://outil.exemple.fr:99999/hook", "invalide"),
        ("https://outil.exemple.fr/" + "a" * 500, "500 caractères"),
    ],
)
def test_urls_deliveries_may_not_use_are_refused_with_a_french_reason(url, message):
    with pytest.raises(ValueError, match=message):
        addresses.parse(url, allow_private=False)


def test_a_url_is_taken_apart_with_its_query():
    target = addresses.parse("https://outil.exemple.fr/hooks/irritants?equipe=rdv", allow_private=False)
    assert target == addresses.Target("https", "outil.exemple.fr", 443, "/hooks/irritants?equipe=rdv")
    assert addresses.parse("http://127.0.0.1:8080", allow_private=True).path == "/"


def test_a_host_that_resolves_to_a_private_address_is_refused_at_delivery():
    with pytest.raises(addresses.AddressRefused, match="bouclage"):
        addresses.resolve("localhost", 443, allow_private=False)
    assert addresses.resolve("127.0.0.1", 443, allow_private=True)


def test_deliveries_are_retried_with_exponential_back_off_for_about_a_day():
    from irritants.webhooks.transport import RETRY

    tries, at = [dt.timedelta(0)], dt.timedelta(0)
    for attempt in range(1, RETRY.max_attempts):
        at += RETRY.delay(attempt)
        tries.append(at)
    assert tries[1:4] == [dt.timedelta(seconds=45), dt.timedelta(seconds=135), dt.timedelta(seconds=315)]
    assert tries[-2] < dt.timedelta(days=1) <= tries[-1] < dt.timedelta(hours=26)
    assert RETRY.give_up_after == dt.timedelta(days=1)
