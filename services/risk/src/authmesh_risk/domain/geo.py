"""IP addresses to places, offline.

The bundled database is geoip2fast's (country by IP for IPv4 and IPv6, built from MaxMind's
GeoLite2 Country data); a country's place is its capital's coordinates from countryinfo's data,
which is enough to tell Paris from Sydney in minutes. An operator's MaxMind database
(AUTHMESH_RISK_GEOIP_PATH, a GeoLite2/GeoIP2 City or Country .mmdb read with `maxminddb`) is
asked first and gives city coordinates when it has them.
"""

import ipaddress
import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import maxminddb
from geoip2fast import GeoIP2Fast


class AddressKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"  # RFC 1918, ULA, loopback, link-local, CGNAT, documentation, reserved
    MISSING = "missing"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class Place:
    kind: AddressKind
    ip: str  # the normalized address, "" unless parseable
    network: str  # the /24 (IPv4) or /64 (IPv6) it belongs to, "" unless parseable
    country: str = ""  # ISO 3166-1 alpha-2, "" when unknown
    latitude: float | None = None
    longitude: float | None = None


def classify(raw: str) -> tuple[AddressKind, ipaddress.IPv4Address | ipaddress.IPv6Address | None]:
    text = raw.strip()
    if not text:
        return AddressKind.MISSING, None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return AddressKind.UNPARSEABLE, None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global:
        return AddressKind.PRIVATE, address
    return AddressKind.PUBLIC, address


def network_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _capitals() -> dict[str, tuple[float, float]]:
    """ISO alpha-2 → (lat, lon) of the capital (the country's centroid when it has none)."""
    places: dict[str, tuple[float, float]] = {}
    data = resources.files("countryinfo") / "data"
    for entry in data.iterdir():
        if not entry.name.endswith(".json"):
            continue
        country: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
        code = str(country.get("ISO", {}).get("alpha2", "")).upper()
        latlng = country.get("capital_latlng") or country.get("latlng")
        if len(code) == 2 and isinstance(latlng, list) and len(latlng) == 2:
            places[code] = (float(latlng[0]), float(latlng[1]))
    return places


class GeoLocator:
    """Loaded once at start-up (about a second): lookups are then microseconds, in memory."""

    def __init__(self, maxmind_path: str = "") -> None:
        self._bundled = GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz", verbose=False)
        self._capitals = _capitals()
        self._maxmind = maxminddb.open_database(maxmind_path) if maxmind_path else None

    def locate(self, raw_ip: str) -> Place:
        kind, address = classify(raw_ip)
        if address is None:
            return Place(kind, "", "")
        ip, network = str(address), network_of(address)
        if kind is not AddressKind.PUBLIC:
            return Place(kind, ip, network)
        found = self._from_maxmind(ip)
        if found is not None:
            return Place(kind, ip, network, *found)
        country = str(self._bundled.lookup(ip).country_code)
        if len(country) != 2 or not country.isalpha():
            return Place(kind, ip, network)
        latitude, longitude = self._capitals.get(country, (None, None))
        return Place(kind, ip, network, country, latitude, longitude)

    def _from_maxmind(self, ip: str) -> tuple[str, float | None, float | None] | None:
        if self._maxmind is None:
            return None
        record = self._maxmind.get(ip)
        if not isinstance(record, dict):
            return None
        found = record.get("country") or record.get("registered_country")
        country = str(found.get("iso_code", "")) if isinstance(found, dict) else ""
        if not country:
            return None
        location = record.get("location")
        if isinstance(location, dict):
            latitude, longitude = location.get("latitude"), location.get("longitude")
            if isinstance(latitude, float | int) and isinstance(longitude, float | int):
                return country, float(latitude), float(longitude)
        capital_latitude, capital_longitude = self._capitals.get(country, (None, None))
        return country, capital_latitude, capital_longitude
