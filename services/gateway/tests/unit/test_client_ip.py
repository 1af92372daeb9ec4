"""Client IP: the trusted-proxy rule, and Better-Auth's normalisation pinned to the peer."""

import pytest

from authmesh_gateway.wire.client_ip import TrustedProxies, client_ip

PROXY = "10.0.0.5"
TRUSTED = TrustedProxies.parse(["10.0.0.0/8", "fd00::/8", "192.0.2.7"])

# X-Forwarded-For sent alone to the peer (which believes a single-valued header) and the
# `ipAddress` its new session stored. Here the same header arrives through a trusted proxy.
PEER_NORMALISED = [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:DB8:5f7d:4::1", "2001:0db8:5f7d:0004:0000:0000:0000:0000"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("::ffff:c000:201", "192.0.2.1"),
    ("::1", "0000:0000:0000:0000:0000:0000:0000:0000"),
    ("::", "0000:0000:0000:0000:0000:0000:0000:0000"),
    (" 1.2.3.4 ", "1.2.3.4"),
    ("1.2.3.4,", "1.2.3.4"),
    ("garbage", ""),
    ("01.2.3.4", ""),
    ("fe80::1%eth0", ""),
    ("[2001:db8::1]", ""),
    ("1.2.3.4:80", ""),
    ("2001:db8::/64", ""),
]


@pytest.mark.parametrize(("forwarded_for", "stored"), PEER_NORMALISED)
def test_normalised_like_the_peer(forwarded_for: str, stored: str) -> None:
    assert client_ip(PROXY, forwarded_for, TRUSTED) == stored


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # An untrusted peer is the client, whatever it claims.
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
        ("2001:db8:1:2:3:4:5:6", None, "2001:0db8:0001:0002:0000:0000:0000:0000"),
        ("::ffff:198.51.100.1", "203.0.113.7", "198.51.100.1"),
        # Through trusted proxies: the right-most untrusted hop.
        (PROXY, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (PROXY, "6.6.6.6, 203.0.113.7, 10.1.1.1, 192.0.2.7", "203.0.113.7"),
        ("fd00::1", "203.0.113.7,fd12::9", "203.0.113.7"),
        ("::ffff:10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # Unknown: no header, only proxies, or a hop that is not an address.
        (PROXY, None, ""),
        (PROXY, "", ""),
        (PROXY, "10.9.9.9, 192.0.2.7", ""),
        (PROXY, "203.0.113.7, unknown", ""),
        ("", "203.0.113.7", ""),
        (None, "203.0.113.7", ""),
        ("not-an-ip", "203.0.113.7", ""),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    peer: str | None, forwarded_for: str | None, client: str
) -> None:
    assert client_ip(peer, forwarded_for, TRUSTED) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_ip(PROXY, "203.0.113.7", TrustedProxies()) == PROXY


def test_ipv6_subnet_is_configurable() -> None:
    assert (
        client_ip("2001:db8:1:2:3:4:5:6", None, TRUSTED, ipv6_subnet=128)
        == "2001:0db8:0001:0002:0003:0004:0005:0006"
    )
    assert (
        client_ip("2001:db8:1:2:3:4:5:6", None, TRUSTED, ipv6_subnet=48)
        == "2001:0db8:0001:0000:0000:0000:0000:0000"
    )


def test_trusted_proxies_must_parse() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        TrustedProxies.parse(["10.0.0.0/33"])
    assert TrustedProxies.parse([" 10.1.2.3/8 "]).networks[0].with_prefixlen == "10.0.0.0/8"
