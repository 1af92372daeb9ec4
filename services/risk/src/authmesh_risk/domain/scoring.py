"""The score of a sign-in: pure arithmetic over the signals gathered for it.

Every factor that moved the score is named with its points; informational factors (a private
address, the first sign-in on record, a second factor already passed) carry 0 points so that an
assessment always says what risk could and could not see. The score is the sum, capped at 100;
the decision compares it with the operator's thresholds.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from authmesh_risk.domain.geo import AddressKind, Place


class Decision(Enum):
    ALLOW = "allow"
    CHALLENGE = "challenge"
    DENY = "deny"


@dataclass(frozen=True)
class Thresholds:
    challenge_at: int = 50
    deny_at: int = 90


@dataclass(frozen=True)
class Windows:
    failures_s: int = 3600
    ip_failures_s: int = 900
    velocity_s: int = 3600


@dataclass(frozen=True)
class Weights:
    """The signals' thresholds; the points each factor adds are fixed in `POINTS`."""

    account_failures_at: int = 5
    pair_failures_at: int = 3
    ip_failures_deny_at: int = 20
    sign_ups_per_network_at: int = 20
    sign_ins_per_network_at: int = 100
    max_travel_kmh: int = 1000
    usual_hours_after: int = 10
    max_clock_skew_s: int = 300


POINTS: dict[str, int] = {
    "ip_missing": 10,
    "ip_unparseable": 15,
    "user_agent_missing": 10,
    "new_device": 20,
    "new_country": 25,
    "impossible_travel": 45,
    "unusual_hour": 10,
    "account_failures": 15,
    "account_failures_high": 30,
    "pair_failures": 10,
    "ip_failure_velocity": 100,
    "network_sign_up_velocity": 15,
    "network_sign_in_velocity": 15,
    "password_blocklisted": 20,
}
# Below this distance two places are the same city as far as this database can tell.
_SAME_PLACE_KM = 100.0
# A sign-in this soon after the last is compared as if a minute had passed (clock jitter).
_MIN_TRAVEL_S = 60.0


@dataclass(frozen=True)
class LastSignIn:
    occurred_at: datetime
    country: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Signals:
    place: Place
    now: datetime
    user_agent_family: str  # "" when the user agent is missing
    has_history: bool
    device_known: bool
    country_known: bool
    last: LastSignIn | None
    usual_hours: frozenset[int]
    history_size: int
    account_failures: int | None  # None: the counters (Redis) could not be read
    pair_failures: int | None
    ip_failures: int | None
    network_sign_ups: int | None
    network_sign_ins: int | None
    clock_skew_s: float | None  # the caller's clock minus risk's; None when not sent
    password_blocklisted: bool = False
    second_factor_satisfied: bool = False


@dataclass(frozen=True)
class Factor:
    name: str
    points: int
    detail: str


@dataclass(frozen=True)
class Score:
    score: int
    decision: Decision
    factors: list[Factor] = field(default_factory=list)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def score(signals: Signals, weights: Weights, thresholds: Thresholds) -> Score:
    factors = [*_address(signals), *_device(signals), *_place(signals, weights)]
    factors += [*_habits(signals, weights), *_counters(signals, weights)]
    if signals.password_blocklisted:
        factors.append(_factor("password_blocklisted", "the password is on the blocklist"))
    total = min(100, sum(factor.points for factor in factors))
    decision = Decision.ALLOW
    if total >= thresholds.deny_at:
        decision = Decision.DENY
    elif total >= thresholds.challenge_at:
        decision = Decision.CHALLENGE
        if signals.second_factor_satisfied:
            decision = Decision.ALLOW
            factors.append(Factor("second_factor_satisfied", 0, "a second factor was passed"))
    return Score(total, decision, factors)


def _factor(name: str, detail: str) -> Factor:
    return Factor(name, POINTS[name], detail)


def _address(signals: Signals) -> list[Factor]:
    kind = signals.place.kind
    if kind is AddressKind.MISSING:
        return [_factor("ip_missing", "the sign-in came without a client address")]
    if kind is AddressKind.UNPARSEABLE:
        return [_factor("ip_unparseable", "the client address is not an IP address")]
    if kind is AddressKind.PRIVATE:
        return [Factor("ip_private", 0, "a private or reserved address: no location")]
    if not signals.place.country:
        return [Factor("geo_unknown", 0, "the address is in no country of the database")]
    return []


def _device(signals: Signals) -> list[Factor]:
    factors = []
    if not signals.user_agent_family:
        factors.append(_factor("user_agent_missing", "the sign-in came without a user agent"))
    if not signals.has_history:
        factors.append(Factor("first_sign_in", 0, "no sign-in of this user on record"))
    elif signals.user_agent_family and not signals.device_known:
        factors.append(_factor("new_device", f"a new device: {signals.user_agent_family}"))
    return factors


def _place(signals: Signals, weights: Weights) -> list[Factor]:
    place, last = signals.place, signals.last
    factors = []
    if place.country and signals.has_history and not signals.country_known:
        factors.append(_factor("new_country", f"a country new for this user: {place.country}"))
    if last is None or place.latitude is None or place.longitude is None:
        return factors
    if last.latitude is None or last.longitude is None:
        return factors
    km = distance_km((last.latitude, last.longitude), (place.latitude, place.longitude))
    if km < _SAME_PLACE_KM:
        return factors
    seconds = max(_MIN_TRAVEL_S, (signals.now - last.occurred_at).total_seconds())
    kmh = km / (seconds / 3600)
    if kmh > weights.max_travel_kmh:
        detail = f"{km:.0f} km from {last.country or 'the last sign-in'} at {kmh:.0f} km/h"
        factors.append(_factor("impossible_travel", detail))
    return factors


def _habits(signals: Signals, weights: Weights) -> list[Factor]:
    factors = []
    if signals.history_size >= weights.usual_hours_after:
        hour = signals.now.hour
        near = {(hour - 1) % 24, hour, (hour + 1) % 24}
        if not near & signals.usual_hours:
            factors.append(_factor("unusual_hour", f"{hour:02d}h UTC is unusual for this user"))
    skew = signals.clock_skew_s
    if skew is not None and abs(skew) > weights.max_clock_skew_s:
        factors.append(Factor("clock_skew", 0, f"the caller's clock is {skew:+.0f} s off"))
    return factors


def _counters(signals: Signals, weights: Weights) -> list[Factor]:
    if signals.account_failures is None:
        return [Factor("counters_unavailable", 0, "failure and velocity counters unavailable")]
    factors = []
    account = signals.account_failures
    if account >= 4 * weights.account_failures_at:
        factors.append(_factor("account_failures_high", f"{account} recent failures on account"))
    elif account >= weights.account_failures_at:
        factors.append(_factor("account_failures", f"{account} recent failures on the account"))
    pair = signals.pair_failures or 0
    if pair >= weights.pair_failures_at:
        factors.append(_factor("pair_failures", f"{pair} recent failures from this address"))
    if signals.place.kind is not AddressKind.PUBLIC:
        return factors  # shared private networks and proxies: no per-address velocity
    ip_failures = signals.ip_failures or 0
    if ip_failures >= weights.ip_failures_deny_at:
        detail = f"{ip_failures} failed sign-ins from this address across accounts"
        factors.append(_factor("ip_failure_velocity", detail))
    sign_ups = signals.network_sign_ups or 0
    if sign_ups >= weights.sign_ups_per_network_at:
        detail = f"{sign_ups} sign-ups from {signals.place.network}"
        factors.append(_factor("network_sign_up_velocity", detail))
    sign_ins = signals.network_sign_ins or 0
    if sign_ins >= weights.sign_ins_per_network_at:
        detail = f"{sign_ins} sign-ins from {signals.place.network}"
        factors.append(_factor("network_sign_in_velocity", detail))
    return factors
