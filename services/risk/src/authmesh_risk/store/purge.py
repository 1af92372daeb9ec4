"""What the risk service's scheduled purge deletes (authmesh_kit.db.purge), by an index:
assessments older than the history's retention. Known devices and countries stay while the user
exists (a deleted user's go with user.deleted)."""

from datetime import timedelta

from authmesh_kit.db.purge import PurgeRule, older_than
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import assessments


def purge_rules(settings: RiskSettings) -> list[PurgeRule]:
    retention = timedelta(seconds=settings.risk_history_retention_s)
    return [PurgeRule(assessments, older_than(assessments.c.occurred_at, retention))]
