"""Settings of the mfa service."""

from datetime import timedelta

from pydantic import Field, SecretStr, model_validator

from authmesh_kit.settings import DatabaseServiceSettings
from authmesh_mfa.domain.model import TwoFactorPolicy
from authmesh_mfa.domain.passkeys import RelyingParty, UserVerification, relying_party


class MfaSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_MFA_DATABASE_URL")
    # TOTP secrets are sealed with the key ring (kit crypto/key_ring.py), and so are the
    # notify messages carrying mailed codes.
    encryption_keys: SecretStr
    # The issuer authenticator apps show (Better-Auth's `issuer`, else its appName).
    totp_issuer: str = Field(default="Authmesh", min_length=1, max_length=64)
    # Better-Auth's defaults: a sign-in challenge (the `two_factor` cookie) lives 10 minutes
    # and allows 5 tries; 10 consecutive failures lock the user's factors for 15 minutes; a
    # mailed code lives 3 minutes and allows 5 tries; a trusted device is trusted 30 days.
    two_factor_challenge_expires_in_s: int = Field(default=600, ge=60, le=3600)
    two_factor_challenge_attempts: int = Field(default=5, ge=1, le=10)
    two_factor_lock_after: int = Field(default=10, ge=1, le=100)
    two_factor_lock_for_s: int = Field(default=900, ge=60, le=24 * 3600)
    two_factor_otp_expires_in_s: int = Field(default=180, ge=30, le=600)
    two_factor_otp_attempts: int = Field(default=5, ge=1, le=10)
    trust_device_expires_in_s: int = Field(default=30 * 24 * 3600, ge=3600, le=400 * 24 * 3600)
    # Backup codes are hashed with PBKDF2-HMAC-SHA256 and a salt per user: ~60 bits of
    # entropy each, below the 112 bits NIST SP 800-63B wants for a plain hash.
    backup_code_hash_iterations: int = Field(default=10_000, ge=1_000, le=1_000_000)

    # Passkeys: the WebAuthn relying party, from configuration only (never from a request).
    # The RP id is the public URL's host unless set (then it must be that host or a parent
    # domain of it); ceremonies may come from AUTHMESH_PASSKEY_ORIGINS, by default the public
    # URL's origin and every exact trusted origin within the RP id. User verification
    # "required" refuses authenticators that do not verify the user (PIN, biometrics).
    base_url: str = "http://localhost:8000"
    trusted_origins: str = ""
    passkey_rp_id: str = ""
    passkey_rp_name: str = Field(default="Authmesh", min_length=1, max_length=64)
    passkey_origins: str = ""
    passkey_user_verification: UserVerification = "preferred"

    @model_validator(mode="after")
    def _check_relying_party(self) -> "MfaSettings":
        self.relying_party()  # refuses to start with an RP id or origins that cannot work
        return self

    def relying_party(self) -> RelyingParty:
        return relying_party(
            base_url=self.base_url,
            rp_id=self.passkey_rp_id,
            rp_name=self.passkey_rp_name,
            origins=self.passkey_origins,
            trusted_origins=self.trusted_origins,
            user_verification=self.passkey_user_verification,
        )

    def policy(self) -> TwoFactorPolicy:
        return TwoFactorPolicy(
            totp_issuer=self.totp_issuer,
            challenge_lifetime=timedelta(seconds=self.two_factor_challenge_expires_in_s),
            challenge_attempts=self.two_factor_challenge_attempts,
            lock_after=self.two_factor_lock_after,
            lock_for=timedelta(seconds=self.two_factor_lock_for_s),
            otp_lifetime=timedelta(seconds=self.two_factor_otp_expires_in_s),
            otp_attempts=self.two_factor_otp_attempts,
            trusted_device_lifetime=timedelta(seconds=self.trust_device_expires_in_s),
            backup_code_iterations=self.backup_code_hash_iterations,
        )
