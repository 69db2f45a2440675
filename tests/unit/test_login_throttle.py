"""The sign-in throttling rule on its own: waits, sources, keys (the HTTP behaviour is in tests/web)."""

from __future__ import annotations

import datetime as dt

import pytest

from irritants.auth.throttle import Rule, account_key, delay, keys_for
from irritants.people import network_of

RULE = Rule(max_failures=5, account_max_failures=20, max_delay=dt.timedelta(minutes=15))


def test_waits_start_at_the_threshold_with_one_minute_and_double_up_to_the_cap():
    minutes = [delay(n, 5, RULE) for n in range(1, 12)]
    assert minutes[:4] == [None] * 4
    assert [m.total_seconds() / 60 for m in minutes[4:]] == [1, 2, 4, 8, 15, 15, 15]
    assert delay(10_000, 5, RULE) == dt.timedelta(minutes=15)  # no overflow for a very long attack


@pytest.mark.parametrize(
    ("remote", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),  # the same subscriber's block: one source
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_the_source_is_the_ip_or_the_ipv6_slash_64(remote, network):
    assert network_of(remote) == network


def test_keys_are_keyed_hmacs_that_do_not_reveal_the_address_or_the_network():
    account = account_key("secret", "  Camille.Martin@BETA.gouv.fr ")
    assert account == account_key("secret", "camille.martin@beta.gouv.fr")
    assert account != account_key("another secret", "camille.martin@beta.gouv.fr")
    untrusted = keys_for("secret", account, network="203.0.113.7", device=None)
    trusted = keys_for("secret", account, network="203.0.113.7", device="nonce")
    assert untrusted.account == account and trusted.account is None  # trusted browsers skip the address's pool
    assert len({untrusted.pair, trusted.pair, account}) == 3
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in (untrusted.pair, account))  # hex digests only
