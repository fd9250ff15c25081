"""The client address the sign-in throttle counts by."""

from __future__ import annotations

import pytest

from api.services.identity.throttle import client_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 on a dual-stack socket
        ("not an address", "not an address"),
        ("x" * 100, "x" * 64),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_ipv4_addresses_count_alone_and_ipv6_by_their_64(address: str | None, key: str) -> None:
    assert client_key(address) == key
