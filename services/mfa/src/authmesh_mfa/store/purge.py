"""What mfa's scheduled purge deletes (authmesh_kit.db.purge), each by an index on the time it
tests: challenges, mailed codes and trusted devices a day (`purge_expired_after_s`) after they
expired, and processed-event ids after the kit's retention. A used challenge or code is dead
too, but its row goes with its expiry, minutes later. A passkey challenge is deleted when taken;
only abandoned ones are left for the purge."""

from datetime import timedelta

from authmesh_kit.db.purge import PurgeRule, older_than, processed_events_rule
from authmesh_mfa.settings import MfaSettings
from authmesh_mfa.store.tables import (
    passkey_challenges,
    processed_events,
    trusted_devices,
    two_factor_challenges,
    two_factor_otps,
)


def purge_rules(settings: MfaSettings) -> list[PurgeRule]:
    after = timedelta(seconds=settings.purge_expired_after_s)
    return [
        PurgeRule(two_factor_challenges, older_than(two_factor_challenges.c.expires_at, after)),
        PurgeRule(two_factor_otps, older_than(two_factor_otps.c.expires_at, after)),
        PurgeRule(trusted_devices, older_than(trusted_devices.c.expires_at, after)),
        PurgeRule(passkey_challenges, older_than(passkey_challenges.c.expires_at, after)),
        processed_events_rule(processed_events, settings),
    ]
