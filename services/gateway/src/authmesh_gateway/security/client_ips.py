"""The client IP of each request, for its rate-limit bucket: `wire.client_ip.client_ip`, made
cheap enough for the hot path.

Parsing addresses with `ipaddress` costs ~20 µs a request, most of the edge's own work. Two
shortcuts keep the answers identical: a bounded memo of (TCP peer, X-Forwarded-For) pairs, and
for the common case — a canonical dotted-quad peer and hops — a string check plus integer
masks instead of address objects. Anything else (IPv6, odd spacing, malformed hops) goes to
`client_ip` itself; a unit test compares both on many inputs.
"""

import re
import socket
from ipaddress import IPv4Network

from authmesh_gateway.wire.client_ip import TrustedProxies, client_ip

# `ipaddress`'s IPv4 form without leading zeros: exactly the strings it gives back unchanged.
_CANONICAL_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
)


class ClientIps:
    def __init__(self, trusted: TrustedProxies, max_memo: int = 4096) -> None:
        self._trusted = trusted
        self._v4 = tuple(
            (int(network.network_address), int(network.netmask))
            for network in trusted.networks
            if isinstance(network, IPv4Network)
        )
        self._max_memo = max_memo
        self._memo: dict[tuple[str | None, bytes | None], str] = {}

    def of(self, peer: str | None, forwarded_for: bytes | None) -> str:
        """`client_ip(peer, X-Forwarded-For)`: the normalised client address, "" if unknown."""
        memo_key = (peer, forwarded_for)
        ip = self._memo.get(memo_key)
        if ip is None:
            ip = self._fast(peer, forwarded_for)
            if ip is None:
                forwarded = None if forwarded_for is None else forwarded_for.decode("latin-1")
                ip = client_ip(peer, forwarded, self._trusted)
            if len(self._memo) >= self._max_memo:
                self._memo.clear()
            self._memo[memo_key] = ip
        return ip

    def _is_trusted_v4(self, address: str) -> bool:
        number = int.from_bytes(socket.inet_aton(address), "big")
        return any(number & mask == network for network, mask in self._v4)

    def _fast(self, peer: str | None, forwarded_for: bytes | None) -> str | None:
        """The answer for canonical IPv4 peers and hops, or None to ask `client_ip`."""
        if not peer or not _CANONICAL_IPV4.fullmatch(peer):
            return None
        if not self._is_trusted_v4(peer):
            return peer
        if forwarded_for is None:
            return ""
        for hop in reversed(forwarded_for.split(b",")):
            text = hop.decode("latin-1").strip(" ")
            if not _CANONICAL_IPV4.fullmatch(text):
                return None
            if not self._is_trusted_v4(text):
                return text
        return ""
