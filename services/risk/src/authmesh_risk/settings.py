"""Settings of the risk service: the score's thresholds, the signals' windows and weights."""

from pydantic import Field, SecretStr, model_validator

from authmesh_kit.settings import DatabaseServiceSettings
from authmesh_risk.domain.scoring import Thresholds, Weights, Windows


class RiskSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_RISK_DATABASE_URL")
    # The "new sign-in" notices are sealed for the notify service (kit crypto/key_ring.py).
    encryption_keys: SecretStr
    # A score at or above `challenge_at` asks for a second factor, at or above `deny_at` refuses.
    risk_challenge_at: int = Field(default=50, ge=1, le=100)
    risk_deny_at: int = Field(default=90, ge=1, le=101)
    # Failures counted over sliding windows (Redis sorted sets, expiring with their window).
    risk_failure_window_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    risk_account_failures_at: int = Field(default=5, ge=1)
    risk_pair_failures_at: int = Field(default=3, ge=1)
    # A password spray: this many failed sign-ins from one public IP within the window deny
    # every sign-in from it, whichever account; the accounts' owners elsewhere are untouched.
    risk_ip_failures_deny_at: int = Field(default=20, ge=2)
    risk_ip_failure_window_s: int = Field(default=900, ge=60, le=24 * 3600)
    # Velocity from one network (/24 for IPv4, /64 for IPv6) within the window.
    risk_velocity_window_s: int = Field(default=3600, ge=60, le=24 * 3600)
    risk_sign_ups_per_network_at: int = Field(default=20, ge=1)
    risk_sign_ins_per_network_at: int = Field(default=100, ge=1)
    # Impossible travel: faster than this between the last sign-in's place and this one's.
    risk_max_travel_kmh: int = Field(default=1000, ge=100, le=20_000)
    # An unusual hour counts once the user has this many sign-ins on record.
    risk_usual_hours_after: int = Field(default=10, ge=3)
    # The caller's clock may differ from risk's by this much before a skew is noted.
    risk_max_clock_skew_s: int = Field(default=300, ge=1)
    # An optional MaxMind database (GeoLite2/GeoIP2 City or Country .mmdb): looked up first,
    # the bundled country database (geoip2fast) otherwise.
    risk_geoip_path: str = ""
    # Assessments are kept this long (the history admins read), then purged.
    risk_history_retention_s: int = Field(default=180 * 24 * 3600, ge=24 * 3600)
    # Mail the user on a sign-in from a device or country never seen for them.
    risk_notify_new_sign_in: bool = True

    @model_validator(mode="after")
    def _check_thresholds(self) -> "RiskSettings":
        if self.risk_challenge_at > self.risk_deny_at:
            raise ValueError("AUTHMESH_RISK_CHALLENGE_AT exceeds AUTHMESH_RISK_DENY_AT")
        return self

    def thresholds(self) -> Thresholds:
        return Thresholds(challenge_at=self.risk_challenge_at, deny_at=self.risk_deny_at)

    def windows(self) -> Windows:
        return Windows(
            failures_s=self.risk_failure_window_s,
            ip_failures_s=self.risk_ip_failure_window_s,
            velocity_s=self.risk_velocity_window_s,
        )

    def weights(self) -> Weights:
        return Weights(
            account_failures_at=self.risk_account_failures_at,
            pair_failures_at=self.risk_pair_failures_at,
            ip_failures_deny_at=self.risk_ip_failures_deny_at,
            sign_ups_per_network_at=self.risk_sign_ups_per_network_at,
            sign_ins_per_network_at=self.risk_sign_ins_per_network_at,
            max_travel_kmh=self.risk_max_travel_kmh,
            usual_hours_after=self.risk_usual_hours_after,
            max_clock_skew_s=self.risk_max_clock_skew_s,
        )
