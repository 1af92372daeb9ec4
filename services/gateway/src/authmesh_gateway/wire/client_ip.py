"""The client's IP address, as stored in `session.ipAddress` and used as the rate-limit key.

`X-Forwarded-For` is believed only when the TCP peer is one of our trusted proxies: then the
chain is read from the right, skipping trusted hops, and the first other hop is the client. This
is stricter than Better-Auth, which without `trustedProxies` believes any single-valued header
from anyone (api.md §6). The address is written as Better-Auth's `normalizeIP` writes it: IPv4
as is, IPv4-mapped IPv6 as IPv4, other IPv6 fully expanded and masked to its /64 (one client
per subnet, since a host owns a whole /64). "" means unknown, as in `session.ipAddress`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)

from authmesh_gateway.wire.js import trim

IPV6_SUBNET = 64

Address = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "TrustedProxies":
        """From IPs and CIDRs (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`); `ValueError` names a
        malformed entry, so a typo fails at start-up instead of silently trusting nothing."""
        networks = []
        for entry in entries:
            try:
                networks.append(ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or CIDR range: {entry!r}") from None
        return cls(tuple(networks))

    def __contains__(self, address: object) -> bool:
        return isinstance(address, IPv4Address | IPv6Address) and any(
            address in network for network in self.networks
        )


def _parse(text: str) -> Address | None:
    """An address as zod's `ipv4()`/`ipv6()` accept it: no zone id, no port, no brackets."""
    if "%" in text:
        return None  # Python accepts `fe80::1%eth0`; Better-Auth does not
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _normalize(address: Address, ipv6_subnet: int) -> str:
    if isinstance(address, IPv4Address):
        return str(address)
    return IPv6Network((address, ipv6_subnet), strict=False).network_address.exploded


def client_ip(
    peer: str | None,
    forwarded_for: str | None,
    trusted: TrustedProxies,
    *,
    ipv6_subnet: int = IPV6_SUBNET,
) -> str:
    """The normalised client address, or "" when it cannot be known.

    `peer` is the TCP peer's address; `forwarded_for` every `X-Forwarded-For` value joined with
    ",". From a trusted peer the chain is walked right to left: trusted hops are skipped, the
    first other hop is the client, and a malformed hop (or a chain of only trusted hops) makes
    the client unknown, because nothing left of it can be believed.
    """
    peer_address = _parse(peer or "")
    if peer_address is None:
        return ""
    if peer_address not in trusted:
        return _normalize(peer_address, ipv6_subnet)
    hops = [hop for hop in (trim(part) for part in (forwarded_for or "").split(",")) if hop]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return ""
        if address not in trusted:
            return _normalize(address, ipv6_subnet)
    return ""
