"""What org's scheduled purge deletes (authmesh_kit.db.purge), each by an index on the time it
tests: invitations a day (`purge_expired_after_s`) after they expired, whatever their status
(an accepted, rejected or canceled one keeps its row until then, for list-invitations), and
processed-event ids after the kit's retention."""

from datetime import timedelta

from authmesh_kit.db.purge import PurgeRule, older_than, processed_events_rule
from authmesh_kit.settings import DatabaseServiceSettings
from authmesh_org.store.tables import invitations, processed_events


def purge_rules(settings: DatabaseServiceSettings) -> list[PurgeRule]:
    after = timedelta(seconds=settings.purge_expired_after_s)
    return [
        PurgeRule(invitations, older_than(invitations.c.expires_at, after)),
        processed_events_rule(processed_events, settings),
    ]
