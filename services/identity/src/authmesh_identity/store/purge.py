"""What identity's scheduled purge deletes (authmesh_kit.db.purge), each by an index.

Link tokens go a day (`purge_expired_after_s`) after they expired or were used; short codes a
day after they expired, unless their identifier's lockout lasts longer, whose failure count the
row carries. Processed-event ids go after the kit's retention. Account-wide password-attempt
counts are never purged: NIST bounds the consecutive failures of an account for good, not per
day, and an unknown login's count must last exactly as long as a real one's (no enumeration).
An address's count on an account goes a day after its last failure and delay: its delays are
to slow a guesser down, not to remember it.
"""

from datetime import timedelta

from sqlalchemy import or_

from authmesh_identity.settings import IdentitySettings
from authmesh_identity.store.tables import (
    one_time_codes,
    one_time_tokens,
    password_pair_attempts,
    processed_events,
)
from authmesh_kit.db.purge import PurgeRule, older_than, processed_events_rule


def purge_rules(settings: IdentitySettings) -> list[PurgeRule]:
    after = timedelta(seconds=settings.purge_expired_after_s)
    tokens, codes, pairs = one_time_tokens.c, one_time_codes.c, password_pair_attempts.c
    return [
        PurgeRule(
            one_time_tokens,
            or_(older_than(tokens.expires_at, after), older_than(tokens.consumed_at, after)),
        ),
        PurgeRule(
            one_time_codes,
            older_than(codes.expires_at, after)
            & or_(codes.locked_until.is_(None), older_than(codes.locked_until, after)),
        ),
        PurgeRule(
            password_pair_attempts,
            older_than(pairs.last_failed_at, after)
            & or_(pairs.locked_until.is_(None), older_than(pairs.locked_until, after)),
        ),
        processed_events_rule(processed_events, settings),
    ]
