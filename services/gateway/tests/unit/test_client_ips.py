"""The edge's client-IP shortcut gives exactly `client_ip`'s answers."""

import itertools

import pytest

from authmesh_gateway.security.client_ips import ClientIps
from authmesh_gateway.wire.client_ip import TrustedProxies, client_ip

TRUSTED = TrustedProxies.parse(["10.0.0.0/8", "127.0.0.1", "fd00::/8", "192.0.2.7"])
PEERS = [
    None,
    "",
    "127.0.0.1",
    "10.1.2.3",
    "192.0.2.7",
    "192.0.2.8",
    "203.0.113.9",
    "::1",
    "fd00::1",
    "::ffff:10.0.0.5",
    "010.0.0.1",
    "not-an-ip",
]
HOPS = [
    "203.0.113.7",
    "10.9.9.9",
    "192.0.2.7",
    " 198.51.100.4 ",
    "\t198.51.100.4",
    "",
    "01.2.3.4",
    "1.2.3.4:80",
    "2001:db8::1",
    "::ffff:203.0.113.8",
    "garbage",
    "256.1.1.1",
    "0.0.0.0",
    "255.255.255.255",
]
FORWARDED = [None, *HOPS, *(",".join(pair) for pair in itertools.product(HOPS[:8], repeat=2))]


@pytest.mark.parametrize("peer", PEERS)
def test_the_shortcut_agrees_with_client_ip(peer: str | None) -> None:
    ips = ClientIps(TRUSTED, max_memo=16)
    for forwarded in FORWARDED:
        raw = None if forwarded is None else forwarded.encode("latin-1")
        expected = client_ip(peer, forwarded, TRUSTED)
        assert ips.of(peer, raw) == expected, (peer, forwarded)
        assert ips.of(peer, raw) == expected  # and from the memo


def test_the_memo_stays_bounded() -> None:
    ips = ClientIps(TRUSTED, max_memo=8)
    for n in range(100):
        ips.of("127.0.0.1", f"203.0.113.{n}".encode())
    assert len(ips._memo) <= 8
