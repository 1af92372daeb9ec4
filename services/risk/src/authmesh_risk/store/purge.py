"""What the risk service's scheduled purge deletes (authmesh_kit.db.purge), each by an index:
assessments older than the history's retention, and the kit's processed-event ids. Known
devices and countries stay while the user exists (a deleted user's go with user.deleted)."""

from datetime import timedelta

from authmesh_kit.db.purge import PurgeRule, older_than, processed_events_rule
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import assessments, processed_events


def purge_rules(settings: RiskSettings) -> list[PurgeRule]:
    retention = timedelta(seconds=settings.risk_history_retention_s)
    return [
        PurgeRule(assessments, older_than(assessments.c.occurred_at, retention)),
        processed_events_rule(processed_events, settings),
    ]
