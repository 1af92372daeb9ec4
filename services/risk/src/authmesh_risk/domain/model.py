"""What risk knows and records about sign-ins."""

from dataclasses import dataclass
from datetime import datetime

from authmesh_risk.domain.scoring import Factor, LastSignIn, Score


@dataclass(frozen=True)
class Counts:
    """The sliding-window counters of a sign-in; None where Redis could not be read."""

    account_failures: int | None
    pair_failures: int | None
    ip_failures: int | None
    network_sign_ups: int | None
    network_sign_ins: int | None


@dataclass(frozen=True)
class Profile:
    """A user's past, as far as one sign-in's scoring needs it."""

    has_history: bool
    device_known: bool
    country_known: bool
    last: LastSignIn | None
    usual_hours: frozenset[int]
    history_size: int


@dataclass(frozen=True)
class SignInPlace:
    """A completed sign-in to learn from: its device and, for located addresses, its place."""

    user_id: str
    occurred_at: datetime
    device_hash: bytes
    device: str
    country: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Assessment:
    id: str
    user_id: str
    occurred_at: datetime
    ip: str
    country: str
    user_agent: str
    device: str
    method: str
    result: Score

    @property
    def factors(self) -> list[Factor]:
        return self.result.factors


@dataclass(frozen=True)
class AssessmentPage:
    assessments: list[Assessment]
    next_cursor: str
